-- A generic audit trigger: one row per INSERT/UPDATE/DELETE with the old and new row as JSON.
CREATE TABLE audit.log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ocorrido_em timestamptz NOT NULL DEFAULT clock_timestamp(),
    tabela      text NOT NULL,
    operacao    text NOT NULL CHECK (operacao IN ('INSERT', 'UPDATE', 'DELETE')),
    empresa_id  bigint,
    usuario     text NOT NULL DEFAULT current_user,
    antes       jsonb,
    depois      jsonb
);
CREATE INDEX log_tabela_idx ON audit.log (tabela, ocorrido_em);

-- SECURITY DEFINER: tenants may not write audit.log directly, only through this trigger;
-- a fixed search_path keeps the definer's rights from being hijacked.
CREATE FUNCTION audit.registrar_alteracao() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    antes  jsonb := CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN to_jsonb(OLD) END;
    depois jsonb := CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN to_jsonb(NEW) END;
BEGIN
    INSERT INTO audit.log (tabela, operacao, empresa_id, usuario, antes, depois)
    VALUES (TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, TG_OP,
            (coalesce(depois, antes) ->> 'empresa_id')::bigint,
            -- current_user is this function's owner here; the 'role' setting still names SET ROLE's role.
            session_user::text || CASE WHEN current_setting('role') <> 'none'
                                       THEN ' as ' || current_setting('role') ELSE '' END,
            antes, depois);
    RETURN NULL;  -- AFTER trigger: the result is ignored
END;
$$;

CREATE TRIGGER escolas_auditoria AFTER INSERT OR UPDATE OR DELETE ON app.escolas
    FOR EACH ROW EXECUTE FUNCTION audit.registrar_alteracao();
CREATE TRIGGER alunos_auditoria AFTER INSERT OR UPDATE OR DELETE ON app.alunos
    FOR EACH ROW EXECUTE FUNCTION audit.registrar_alteracao();
