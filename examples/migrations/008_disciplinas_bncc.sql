-- BNCC (Base Nacional Comum Curricular) components of the Ensino Fundamental.
INSERT INTO app.disciplinas_bncc (codigo, nome, area, etapa) VALUES
    ('EF-LP', 'Língua Portuguesa', 'Linguagens', 'EF'),
    ('EF-AR', 'Arte', 'Linguagens', 'EF'),
    ('EF-EF', 'Educação Física', 'Linguagens', 'EF'),
    ('EF-LI', 'Língua Inglesa', 'Linguagens', 'EF'),
    ('EF-MA', 'Matemática', 'Matemática', 'EF'),
    ('EF-CI', 'Ciências', 'Ciências da Natureza', 'EF'),
    ('EF-GE', 'Geografia', 'Ciências Humanas', 'EF'),
    ('EF-HI', 'História', 'Ciências Humanas', 'EF'),
    ('EF-ER', 'Ensino Religioso', 'Ensino Religioso', 'EF');
