-- Attendance grows by millions of rows a year: range-partitioned by month of the class date, so old
-- months can be detached and archived without a long DELETE.
CREATE TABLE app.frequencias (
    empresa_id  bigint NOT NULL,
    aluno_id    bigint NOT NULL,
    data_aula   date NOT NULL,
    presente    boolean NOT NULL,
    PRIMARY KEY (empresa_id, aluno_id, data_aula)
) PARTITION BY RANGE (data_aula);

CREATE TABLE app.frequencias_2026_02 PARTITION OF app.frequencias
    FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
CREATE TABLE app.frequencias_2026_03 PARTITION OF app.frequencias
    FOR VALUES FROM ('2026-03-01') TO ('2026-04-01');
CREATE TABLE app.frequencias_padrao PARTITION OF app.frequencias DEFAULT;

ALTER TABLE app.frequencias ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.frequencias FORCE ROW LEVEL SECURITY;
CREATE POLICY empresa_isolada ON app.frequencias
    USING (empresa_id = nullif(current_setting('app.current_empresa_id', true), '')::bigint)
    WITH CHECK (empresa_id = nullif(current_setting('app.current_empresa_id', true), '')::bigint);
GRANT SELECT, INSERT, UPDATE, DELETE ON app.frequencias TO app_tenant;
