-- Tenant isolation: the application role sees and writes only rows of the empresa named by the
-- session setting app.current_empresa_id (set per request: SET app.current_empresa_id = '42').
-- Without the setting, current_setting(..., true) is NULL and no row matches: fail closed.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_tenant') THEN
        CREATE ROLE app_tenant NOLOGIN NOBYPASSRLS;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA app TO app_tenant;
GRANT SELECT, INSERT, UPDATE, DELETE ON app.escolas, app.alunos TO app_tenant;
GRANT SELECT ON app.empresas, app.disciplinas_bncc TO app_tenant;

ALTER TABLE app.empresas ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.escolas ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.alunos ENABLE ROW LEVEL SECURITY;
-- FORCE: the table owner (the migration user) is subject to the policies too, except superusers.
ALTER TABLE app.empresas FORCE ROW LEVEL SECURITY;
ALTER TABLE app.escolas FORCE ROW LEVEL SECURITY;
ALTER TABLE app.alunos FORCE ROW LEVEL SECURITY;

CREATE POLICY empresa_isolada ON app.empresas
    USING (id = nullif(current_setting('app.current_empresa_id', true), '')::bigint);
CREATE POLICY empresa_isolada ON app.escolas
    USING (empresa_id = nullif(current_setting('app.current_empresa_id', true), '')::bigint)
    WITH CHECK (empresa_id = nullif(current_setting('app.current_empresa_id', true), '')::bigint);
CREATE POLICY empresa_isolada ON app.alunos
    USING (empresa_id = nullif(current_setting('app.current_empresa_id', true), '')::bigint)
    WITH CHECK (empresa_id = nullif(current_setting('app.current_empresa_id', true), '')::bigint);
