-- One database and one login role per service; each role owns its database and nothing else,
-- and no other role may connect to it. The postgres image runs this once, when its volume is new.
-- The passwords are for local development only: they match the URLs in deploy/compose.yaml.
-- Services that own no database (gateway) get no role.

CREATE ROLE emporium_identity LOGIN PASSWORD 'dev-identity' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE emporium_identity OWNER emporium_identity;
REVOKE ALL ON DATABASE emporium_identity FROM PUBLIC;

CREATE ROLE emporium_catalog LOGIN PASSWORD 'dev-catalog' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE emporium_catalog OWNER emporium_catalog;
REVOKE ALL ON DATABASE emporium_catalog FROM PUBLIC;

CREATE ROLE emporium_cart LOGIN PASSWORD 'dev-cart' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE emporium_cart OWNER emporium_cart;
REVOKE ALL ON DATABASE emporium_cart FROM PUBLIC;

CREATE ROLE emporium_inventory LOGIN PASSWORD 'dev-inventory' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE emporium_inventory OWNER emporium_inventory;
REVOKE ALL ON DATABASE emporium_inventory FROM PUBLIC;

CREATE ROLE emporium_payments LOGIN PASSWORD 'dev-payments' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE emporium_payments OWNER emporium_payments;
REVOKE ALL ON DATABASE emporium_payments FROM PUBLIC;

CREATE ROLE emporium_shipping LOGIN PASSWORD 'dev-shipping' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE emporium_shipping OWNER emporium_shipping;
REVOKE ALL ON DATABASE emporium_shipping FROM PUBLIC;

CREATE ROLE emporium_orders LOGIN PASSWORD 'dev-orders' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE emporium_orders OWNER emporium_orders;
REVOKE ALL ON DATABASE emporium_orders FROM PUBLIC;

CREATE ROLE emporium_notifications LOGIN PASSWORD 'dev-notifications' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE emporium_notifications OWNER emporium_notifications;
REVOKE ALL ON DATABASE emporium_notifications FROM PUBLIC;

CREATE ROLE emporium_recommendations LOGIN PASSWORD 'dev-recommendations' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE emporium_recommendations OWNER emporium_recommendations;
REVOKE ALL ON DATABASE emporium_recommendations FROM PUBLIC;

CREATE ROLE emporium_functions LOGIN PASSWORD 'dev-functions' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE emporium_functions OWNER emporium_functions;
REVOKE ALL ON DATABASE emporium_functions FROM PUBLIC;

CREATE ROLE emporium_inference LOGIN PASSWORD 'dev-inference' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE emporium_inference OWNER emporium_inference;
REVOKE ALL ON DATABASE emporium_inference FROM PUBLIC;
