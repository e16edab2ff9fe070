package sqlstore

import "database/sql"

// SQLDB returns the database every write goes through (on SQLite the one
// writer connection), for the command queue (package commands), whose River
// jobs live in the same database and are inserted in the store's
// transactions.
func (s *Store) SQLDB() *sql.DB { return s.writer }

// DialectName names the database ("sqlite", "postgres"), so the command
// queue picks the River driver for it.
func (s *Store) DialectName() string { return s.dialect.Name }
