DROP INDEX app.alunos_matricula_idx;
ALTER TABLE app.alunos DROP COLUMN matricula;
