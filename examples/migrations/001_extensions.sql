-- Extensions the platform relies on.
-- pg_stat_statements: creating the extension works everywhere it is installed; reading its view needs
-- shared_preload_libraries = 'pg_stat_statements' (RDS: the parameter group sets it). Where the extension
-- is not installed at all (a bare local server) the migration still succeeds and says so in a notice.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements') THEN
        CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
        IF current_setting('shared_preload_libraries') NOT LIKE '%pg_stat_statements%' THEN
            RAISE NOTICE 'pg_stat_statements created; add it to shared_preload_libraries to collect statistics';
        END IF;
    ELSE
        RAISE NOTICE 'pg_stat_statements is not installed on this server: skipped';
    END IF;
END
$$;

CREATE SCHEMA IF NOT EXISTS app;
CREATE SCHEMA IF NOT EXISTS audit;
