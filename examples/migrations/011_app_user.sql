-- The application's own login: the app must not connect as the RDS master user, whose RDS-managed secret
-- rotates every 7 days while tasks read it only at start. app_user signs in with IAM authentication (a
-- 15-minute token per connection, granted by rds-db:connect on the ECS task role; see terraform/main.tf):
-- on RDS and Aurora the rds_iam role makes IAM its only way in. As a member of app_tenant it sees only
-- its empresa's rows (RLS, 004). The name matches the root module's database.app_username.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_user') THEN
        CREATE ROLE app_user LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam') THEN
        GRANT rds_iam TO app_user;
    ELSE
        RAISE NOTICE 'role rds_iam does not exist (not RDS or Aurora): app_user gets no IAM authentication here';
    END IF;
END
$$;

GRANT app_tenant TO app_user;
