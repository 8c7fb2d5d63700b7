//! Platform tests against real databases: the transactional outbox, its relay and the inbox,
//! on SQLite and, when `EMPORIUM_TEST_POSTGRES_URL` is set, PostgreSQL.

mod outbox;
