DELETE FROM app.disciplinas_bncc
 WHERE codigo IN ('EF-LP', 'EF-AR', 'EF-EF', 'EF-LI', 'EF-MA', 'EF-CI', 'EF-GE', 'EF-HI', 'EF-ER');
