//! The CA's catalogue (projects, prices, agreement) as the kiosk last
//! fetched it, kept so that an application offered offline shows the CA's
//! terms and says when they were fetched. Public data: kept in clear.

use crate::error::StoreError;
use crate::{Result, Store};
use kiosk_domain::order::application::Catalogue;
use rusqlite::{OptionalExtension, params};

impl Store {
    /// Keeps `catalogue` in place of the one kept before.
    pub fn save_catalogue(&mut self, catalogue: &Catalogue) -> Result<()> {
        let json = serde_json::to_string(catalogue).map_err(|source| StoreError::Json {
            what: "the catalogue",
            source,
        })?;
        self.conn.execute(
            "INSERT INTO catalogue (id, json) VALUES (1, ?1)
             ON CONFLICT (id) DO UPDATE SET json = excluded.json",
            params![json],
        )?;
        Ok(())
    }

    /// The catalogue last kept, if any.
    pub fn load_catalogue(&self) -> Result<Option<Catalogue>> {
        let json: Option<String> = self
            .conn
            .query_row("SELECT json FROM catalogue WHERE id = 1", [], |row| {
                row.get(0)
            })
            .optional()?;
        json.map(|json| {
            serde_json::from_str(&json).map_err(|source| StoreError::Json {
                what: "the catalogue",
                source,
            })
        })
        .transpose()
    }
}
