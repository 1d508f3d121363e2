-- Enrolment number, unique per school.
ALTER TABLE app.alunos ADD COLUMN matricula text;
CREATE UNIQUE INDEX alunos_matricula_idx ON app.alunos (escola_id, matricula) WHERE matricula IS NOT NULL;
