-- Enrolment number, unique per school.
ALTER TABLE app.alunos ADD COLUMN matricula text;
-- toolkit:allow require-concurrent-index-creation because matricula was added just above, so every row is NULL
-- and this partial index has no entry to write; it cannot be CONCURRENTLY in this transaction, and the
-- runner's 5s lock_timeout bounds the wait for alunos' lock
CREATE UNIQUE INDEX alunos_matricula_idx ON app.alunos (escola_id, matricula) WHERE matricula IS NOT NULL;
