//! The flows' saved states: the runtime saves a flow's state after every
//! step, before it runs the step's effects, so a power cut resumes from the
//! last step taken.
//!
//! A state holds what the customer typed, so it is sealed (under the flow key
//! derived from the master key). The caller names the state's format
//! version; a state saved in another format is reported as
//! [`StoreError::FlowStateFormat`] instead of being read into a type it was
//! not written from (serde defaults could otherwise misread it silently).
//! The session the state belongs to is recorded so that
//! [`Store::wipe_session`] removes it.

use crate::codec::session_to_db;
use crate::crypto;
use crate::error::StoreError;
use crate::{Result, Store};
use kiosk_domain::flow::SessionId;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

fn aad<'a>(flow: &'a str, format: &'a str, session: &'a str) -> [&'a [u8]; 4] {
    [
        b"flow state",
        flow.as_bytes(),
        format.as_bytes(),
        session.as_bytes(),
    ]
}

impl Store {
    /// Saves `state` as the current state of `flow`, written in format
    /// version `format`, belonging to `session` (`None` when the flow is at
    /// home and holds nothing of a customer's).
    pub fn save_flow_state<T: Serialize>(
        &mut self,
        flow: &str,
        format: u32,
        session: Option<SessionId>,
        state: &T,
    ) -> Result<()> {
        let json =
            Zeroizing::new(
                serde_json::to_vec(state).map_err(|source| StoreError::Json {
                    what: "a flow state",
                    source,
                })?,
            );
        let session_db = session.map(session_to_db);
        let sealed = crypto::seal(
            &self.keys.flow,
            &json,
            &aad(
                flow,
                &format.to_string(),
                session_db.as_deref().unwrap_or(""),
            ),
        )
        .map_err(|e| e.sealing(|| format!("the state of flow {flow:?}")))?;
        self.conn.execute(
            "INSERT INTO flow_state (flow, session, format, sealed) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (flow) DO UPDATE SET
                 session = excluded.session, format = excluded.format, sealed = excluded.sealed",
            params![flow, session_db, format, sealed],
        )?;
        Ok(())
    }

    /// The saved state of `flow`, read as format `format`; `None` if none is
    /// saved. A state of another format is an error, not a guess.
    pub fn load_flow_state<T: DeserializeOwned>(
        &self,
        flow: &str,
        format: u32,
    ) -> Result<Option<T>> {
        let row: Option<(Option<String>, i64, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT session, format, sealed FROM flow_state WHERE flow = ?1",
                [flow],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?;
        let Some((session, stored, sealed)) = row else {
            return Ok(None);
        };
        let stored = u32::try_from(stored)
            .map_err(|_| StoreError::corrupt(format!("flow state format {stored}")))?;
        if stored != format {
            return Err(StoreError::FlowStateFormat {
                flow: flow.to_owned(),
                stored,
                expected: format,
            });
        }
        let json = crypto::open(
            &self.keys.flow,
            &sealed,
            &aad(flow, &stored.to_string(), session.as_deref().unwrap_or("")),
        )
        .map_err(|_| StoreError::Decrypt {
            what: format!("the state of flow {flow:?}"),
        })?;
        serde_json::from_slice(&json)
            .map(Some)
            .map_err(|source| StoreError::Json {
                what: "a flow state",
                source,
            })
    }

    /// Forgets the saved state of `flow`. Returns whether there was one.
    pub fn clear_flow_state(&mut self, flow: &str) -> Result<bool> {
        Ok(self
            .conn
            .execute("DELETE FROM flow_state WHERE flow = ?1", [flow])?
            > 0)
    }
}
