-- Anonymised data cannot be restored; this only removes the function.
DROP FUNCTION app.anonimizar_aluno(bigint);
