-- toolkit:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS app.alunos_empresa_nome_idx;
