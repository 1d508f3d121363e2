-- toolkit:no-transaction
-- CREATE INDEX CONCURRENTLY cannot run inside a transaction; it does not block writes to alunos.
-- If it fails it leaves an INVALID index: the runner prints the DROP INDEX CONCURRENTLY to run first.
CREATE INDEX CONCURRENTLY IF NOT EXISTS alunos_empresa_nome_idx ON app.alunos (empresa_id, lower(nome));
