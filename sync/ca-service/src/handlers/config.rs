//! `GET /v1/config`: prices, the renewal window, projects and the
//! agreement for the kiosk.

use crate::Service;
use axum::Json;
use axum::extract::State;
use kiosk_sync_wire::config::{AgreementV1, ConfigV1, ProjectV1, RenewalWindowV1};

pub(crate) async fn config(State(service): State<Service>) -> Json<ConfigV1> {
    let options = service.options();
    let catalogue = &options.catalogue;
    Json(ConfigV1 {
        renewal_price_fen: catalogue.renewal_price_fen,
        // Only what orders are accepted for.
        projects: catalogue
            .projects
            .iter()
            .filter(|p| options.projects.contains(&p.code))
            .map(|p| ProjectV1 {
                code: p.code.clone(),
                name: p.name.clone(),
                price_fen: p.price_fen,
                seal_price_fen: p.seal_price_fen,
            })
            .collect(),
        agreement: AgreementV1 {
            version: catalogue.agreement_version.clone(),
            text: catalogue.agreement_text.clone(),
        },
        payment_expiry_secs: options.payment_ttl.as_secs(),
        renewal_window: Some(RenewalWindowV1::of(&catalogue.renewal_window)),
    })
}
