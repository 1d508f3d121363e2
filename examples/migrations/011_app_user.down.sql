-- Undo 011: the application login goes away (it owns nothing; its memberships go with it).
DROP ROLE IF EXISTS app_user;
