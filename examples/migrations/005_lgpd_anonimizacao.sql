-- LGPD (Lei 13.709/2018, art. 16/18): anonymise a student's personal data on request while keeping
-- the row (school statistics, attendance) valid. Runs with the caller's rights, so RLS still applies:
-- a tenant can anonymise only its own students. The audit trigger records the change.
CREATE FUNCTION app.anonimizar_aluno(aluno bigint) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    UPDATE app.alunos
       SET nome = 'Aluno anonimizado ' || id,
           cpf = NULL,
           email = NULL,
           data_nascimento = date_trunc('year', data_nascimento)::date,
           anonimizado_em = now()
     WHERE id = aluno AND anonimizado_em IS NULL;
    RETURN FOUND;
END;
$$;

REVOKE ALL ON FUNCTION app.anonimizar_aluno(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.anonimizar_aluno(bigint) TO app_tenant;
