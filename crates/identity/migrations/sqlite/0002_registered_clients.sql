-- Clients registered from outside (OAuth 2.0 Dynamic Client Registration, `emporium client add`,
-- the admin API) beside the shop's own, with the name they gave.
ALTER TABLE clients ADD COLUMN client_name TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN registered BOOLEAN NOT NULL DEFAULT FALSE;
