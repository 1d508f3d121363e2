DROP TABLE app.frequencias;
