-- Tenants (empresas), their schools (escolas) and students (alunos); BNCC curriculum components.
CREATE TABLE app.empresas (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nome        text NOT NULL,
    -- toolkit:allow ban-char-field because a CNPJ is always exactly 14 digits (the CHECK says so): no padding
    cnpj        char(14) NOT NULL UNIQUE CHECK (cnpj ~ '^[0-9]{14}$'),
    criado_em   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE app.escolas (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    empresa_id  bigint NOT NULL REFERENCES app.empresas (id),
    nome        text NOT NULL,
    -- toolkit:allow ban-char-field because an INEP school code is always exactly 8 digits
    codigo_inep char(8),
    UNIQUE (empresa_id, nome)
);

CREATE TABLE app.alunos (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    empresa_id      bigint NOT NULL REFERENCES app.empresas (id),
    escola_id       bigint NOT NULL REFERENCES app.escolas (id),
    nome            text NOT NULL,
    -- toolkit:allow ban-char-field because a CPF is always exactly 11 digits (the CHECK says so): no padding
    cpf             char(11) CHECK (cpf ~ '^[0-9]{11}$'),
    email           text,
    data_nascimento date,
    anonimizado_em  timestamptz
);
CREATE INDEX alunos_escola_idx ON app.alunos (escola_id);

-- BNCC components are shared reference data: not tenant-scoped.
CREATE TABLE app.disciplinas_bncc (
    codigo  text PRIMARY KEY,
    nome    text NOT NULL,
    area    text NOT NULL,
    etapa   text NOT NULL CHECK (etapa IN ('EI', 'EF', 'EM'))
);
