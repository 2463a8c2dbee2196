//! Who may call what: the callers a connection establishes, the two
//! listeners, and every route with who may call it ([`ROUTES`]).
//!
//! - The **kiosk listener** (`--listen`) serves the kiosks' protocol and the
//!   public pages a customer's phone opens. Over TLS a client certificate
//!   is asked for: one that chains to the kiosk device CA makes the caller
//!   that kiosk (its kiosk code is the certificate's subject common name);
//!   a connection without one is anonymous and reaches the public pages
//!   only. A certificate that does not verify ends the handshake.
//! - The **staff listener** (`--staff-listen`) serves the back office and
//!   the staff API only, to connections with a certificate from the staff
//!   CA (`--staff-client-ca`; none: no handshake); the caller is the member
//!   of staff it names.
//! - Plain HTTP exists only on loopback (development, demonstration, tests):
//!   the caller is [`Caller::Local`], this machine, which counts as any
//!   kiosk on the kiosk listener and as staff on the staff listener.
//!
//! A route's [`Who`] is checked for every request before its handler runs
//! ([`check`], with the path's parameters the rules read:
//! [`PathParameters`]). A route served but missing from [`ROUTES`] is
//! refused to everyone, so a new route cannot slip past the table.

use kiosk_domain::order_number::{KioskCode, OrderNumber};
use kiosk_sync_wire::problem::ProblemCode;

/// Who is calling, as the connection established it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A kiosk, by the kiosk code of its device certificate.
    Kiosk(KioskCode),
    /// A member of staff, by the common name of their staff certificate.
    Staff(String),
    /// No client certificate (a customer's phone, or anyone).
    Anonymous,
    /// Plain HTTP on loopback: this machine (development only).
    Local,
}

impl Caller {
    /// A kiosk's device certificate: its subject common name must be a
    /// kiosk code (`None`: it names no kiosk, the caller is refused).
    #[must_use]
    pub fn kiosk_from_certificate(der: &[u8]) -> Option<Self> {
        let name = kiosk_x509::subject_common_name(der).ok().flatten()?;
        name.parse::<KioskCode>().ok().map(Self::Kiosk)
    }

    /// A staff certificate: the person it names (its common name; `None`
    /// without one, and the caller is then anonymous).
    #[must_use]
    pub fn staff_from_certificate(der: &[u8]) -> Option<Self> {
        let name = kiosk_x509::subject_common_name(der).ok().flatten()?;
        Some(Self::Staff(name))
    }

    /// For logs: the kiosk code, `staff`, `anonymous` or `local` (a staff
    /// member's name stays out of the request log).
    #[must_use]
    pub fn label(&self) -> String {
        match self {
            Self::Kiosk(code) => code.to_string(),
            Self::Staff(_) => "staff".to_owned(),
            Self::Anonymous => "anonymous".to_owned(),
            Self::Local => "local".to_owned(),
        }
    }
}

/// Which listener serves a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    Kiosk,
    Staff,
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Anyone who reaches the kiosk listener, certificate or not: the
    /// public pages (a customer's phone) and public data.
    Anyone,
    /// Any of the CA's kiosks: routes where the customer proves who they
    /// are at whichever kiosk they stand (order number and mobile, an SMS
    /// code, the renewal's proof made by their own key, a session).
    AnyKiosk,
    /// Only the kiosk whose code the order number in the path carries.
    OwnOrder,
    /// Only the kiosk whose code is the path's `{kiosk}` parameter (its
    /// staff calls, its audit log).
    OwnKiosk,
    /// Staff, on the staff listener.
    Staff,
}

impl Who {
    /// The listener that serves routes of this kind.
    #[must_use]
    pub fn listener(self) -> Listener {
        match self {
            Self::Staff => Listener::Staff,
            Self::Anyone | Self::AnyKiosk | Self::OwnOrder | Self::OwnKiosk => Listener::Kiosk,
        }
    }
}

/// A route and who may call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// Lower case, as in the OpenAPI document.
    pub method: &'static str,
    /// The OpenAPI path (`{name}` for a parameter).
    pub path: &'static str,
    pub who: Who,
    /// Only with `--demo` (the simulators, demonstration issuance);
    /// otherwise the route answers 404.
    pub demo: bool,
}

const fn route(method: &'static str, path: &'static str, who: Who) -> Route {
    Route {
        method,
        path,
        who,
        demo: false,
    }
}

const fn demo(method: &'static str, path: &'static str, who: Who) -> Route {
    Route {
        method,
        path,
        who,
        demo: true,
    }
}

/// Every route the service implements, with who may call it. The routers
/// serve exactly these (a test checks each is in the served OpenAPI
/// document, and the authorisation matrix is generated from this table).
pub const ROUTES: &[Route] = &[
    // The kiosk's own orders: created, uploaded and submitted by it.
    route("put", "/v1/orders/{number}", Who::OwnOrder),
    route("get", "/v1/orders/{number}", Who::OwnOrder),
    route(
        "get",
        "/v1/orders/{number}/attachments/{position}",
        Who::OwnOrder,
    ),
    route(
        "head",
        "/v1/orders/{number}/attachments/{position}",
        Who::OwnOrder,
    ),
    route(
        "put",
        "/v1/orders/{number}/attachments/{position}",
        Who::OwnOrder,
    ),
    route("post", "/v1/orders/{number}/submit", Who::OwnOrder),
    // A payment staff took for one of the kiosk's orders: the kiosk's own
    // order only; the member of staff's signature over it, checked with
    // the staff CA by the handler, is the second check (a kiosk alone
    // cannot mark an order paid).
    route(
        "post",
        "/v1/orders/{number}/counter-payments",
        Who::OwnOrder,
    ),
    // An order of the kiosk's, waiting for its payment, withdrawn by a
    // member of staff: the kiosk's own order only; the staff signature is
    // the handler's check, as for a counter payment.
    route("post", "/v1/orders/{number}/cancellation", Who::OwnOrder),
    // 呼叫工作人员: each kiosk makes, reads and withdraws its own calls.
    route(
        "put",
        "/v1/kiosks/{kiosk}/staff-calls/{call}",
        Who::OwnKiosk,
    ),
    route(
        "get",
        "/v1/kiosks/{kiosk}/staff-calls/{call}",
        Who::OwnKiosk,
    ),
    route(
        "post",
        "/v1/kiosks/{kiosk}/staff-calls/{call}/withdraw",
        Who::OwnKiosk,
    ),
    // The audit log: each kiosk reads how far the CA's copy of its own
    // log goes and sends its own entries.
    route("get", "/v1/kiosks/{kiosk}/audit", Who::OwnKiosk),
    route("put", "/v1/kiosks/{kiosk}/audit/{seq}", Who::OwnKiosk),
    // The feed: each kiosk reads its own orders' entries.
    route("get", "/v1/feed", Who::AnyKiosk),
    // Renewals: the customer's key proves the certificate, at any kiosk
    // (an install recovered elsewhere).
    route("post", "/v1/renewals/{number}", Who::AnyKiosk),
    route(
        "get",
        "/v1/renewals/{number}/attempts/{attempt}",
        Who::AnyKiosk,
    ),
    route("post", "/v1/renewals/open", Who::AnyKiosk),
    // Before any payment: may the certificate on the customer's key be
    // renewed? (The caller holds the certificate; no holder data back.)
    route("post", "/v1/renewals/check", Who::AnyKiosk),
    route("post", "/v1/renewals/{number}/installed", Who::AnyKiosk),
    // On-site pickup and 查询订单: the order number with its mobile.
    route("post", "/v1/orders/pickup", Who::AnyKiosk),
    route("post", "/v1/orders/{number}/issuance", Who::AnyKiosk),
    route(
        "get",
        "/v1/orders/{number}/issuance/{attempt}",
        Who::AnyKiosk,
    ),
    route("post", "/v1/orders/{number}/written", Who::AnyKiosk),
    route("post", "/v1/orders/lookup", Who::AnyKiosk),
    route("post", "/v1/orders/{number}/remittance", Who::AnyKiosk),
    route("get", "/v1/orders/{number}/invoice", Who::AnyKiosk),
    // Payments: a customer pays at any kiosk (the CA sets the amount).
    route("post", "/v1/payments", Who::AnyKiosk),
    route("get", "/v1/payments/{id}", Who::AnyKiosk),
    route("post", "/v1/sms/codes", Who::AnyKiosk),
    route("post", "/v1/sms/verify", Who::AnyKiosk),
    route("get", "/v1/config", Who::AnyKiosk),
    route("get", "/v1/certificates/{serial}/holder", Who::AnyKiosk),
    route("post", "/v1/identity/checks", Who::AnyKiosk),
    route("post", "/v1/accounts", Who::AnyKiosk),
    route("post", "/v1/accounts/session", Who::AnyKiosk),
    route("delete", "/v1/accounts/session", Who::AnyKiosk),
    route("post", "/v1/accounts/password-reset", Who::AnyKiosk),
    route("get", "/v1/accounts/me", Who::AnyKiosk),
    route("post", "/v1/accounts/me/password", Who::AnyKiosk),
    route("post", "/v1/accounts/me/mobile", Who::AnyKiosk),
    route("post", "/v1/accounts/mobile-reviews", Who::AnyKiosk),
    // The photographs of a review request: any kiosk uploads its own (the
    // CA keeps the uploading kiosk's code; a request names only its
    // kiosk's); staff alone see them.
    route(
        "put",
        "/v1/accounts/mobile-reviews/captures/{sha256}",
        Who::AnyKiosk,
    ),
    // The staff CA's revocation lists, for staff sign-in at the kiosk.
    route("get", "/v1/staff/crl", Who::AnyKiosk),
    // Public: what anyone may read, and the pages a phone opens.
    route("get", "/v1/ca/roots", Who::Anyone),
    route("get", "/v1/ca/crl", Who::Anyone),
    // The demonstration CA's own list (a list revokes what its signer issued).
    demo("get", "/v1/ca/demo/crl", Who::Anyone),
    route("get", "/openapi.json", Who::Anyone),
    route("get", "/invoices/{invoice_number}", Who::Anyone),
    route("get", "/track", Who::Anyone),
    route("post", "/track", Who::Anyone),
    demo("get", "/pay/{id}", Who::Anyone),
    demo("post", "/pay/{id}", Who::Anyone),
    // Staff: the back office and its API.
    route("post", "/v1/admin/orders/{number}/approve", Who::Staff),
    route("post", "/v1/admin/orders/{number}/reject", Who::Staff),
    route("post", "/v1/admin/orders/{number}/payments", Who::Staff),
    route("get", "/v1/admin/remittances", Who::Staff),
    route("post", "/v1/admin/remittances/{id}/confirm", Who::Staff),
    route("put", "/v1/admin/certificates/{serial}/holder", Who::Staff),
    route("post", "/v1/admin/orders/{number}/invoice", Who::Staff),
    route("get", "/v1/admin/mobile-reviews", Who::Staff),
    route("get", "/v1/admin/staff-calls", Who::Staff),
    route(
        "post",
        "/v1/admin/staff-calls/{kiosk}/{call}/acknowledge",
        Who::Staff,
    ),
    route("get", "/v1/admin/kiosks/{kiosk}/audit", Who::Staff),
    route("get", "/admin", Who::Staff),
    route("get", "/admin/kiosks/{kiosk}/audit", Who::Staff),
    route("get", "/admin/orders/{number}", Who::Staff),
    route("post", "/admin/orders/{number}/status", Who::Staff),
    route(
        "get",
        "/admin/orders/{number}/attachments/{position}",
        Who::Staff,
    ),
    route("post", "/admin/orders/{number}/approve", Who::Staff),
    route("post", "/admin/orders/{number}/reject", Who::Staff),
    route("post", "/admin/remittances/{id}/confirm", Who::Staff),
    route(
        "get",
        "/admin/mobile-reviews/{id}/captures/licence",
        Who::Staff,
    ),
    route("get", "/admin/mobile-reviews/{id}/captures/id", Who::Staff),
    route("post", "/admin/mobile-reviews/{id}/approve", Who::Staff),
    route("post", "/admin/mobile-reviews/{id}/reject", Who::Staff),
    route(
        "post",
        "/admin/staff-calls/{kiosk}/{call}/acknowledge",
        Who::Staff,
    ),
    // Staff, simulators of what a real CA has elsewhere: demo only.
    demo("get", "/v1/admin/sms", Who::Staff),
    demo("post", "/v1/admin/demo/issue", Who::Staff),
    demo("put", "/v1/admin/identity/{resident_id}", Who::Staff),
];

/// The route of `method` (any case) at the OpenAPI path `path`; a `HEAD`
/// without a route of its own is its `GET`'s.
#[must_use]
pub fn find(method: &str, path: &str) -> Option<&'static Route> {
    let method = method.to_ascii_lowercase();
    let exact = ROUTES.iter().find(|r| r.method == method && r.path == path);
    exact.or_else(|| {
        (method == "head")
            .then(|| ROUTES.iter().find(|r| r.method == "get" && r.path == path))
            .flatten()
    })
}

/// Whether the concrete `path` (no query) fits the OpenAPI `template`.
fn fits(template: &str, path: &str) -> bool {
    let (t, p): (Vec<_>, Vec<_>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter().zip(&p).all(|(t, p)| {
            if t.starts_with('{') {
                !p.is_empty()
            } else {
                t == p
            }
        })
}

/// The route of `method` at the concrete `path` (a query is ignored), as
/// [`find`] finds it by its template.
#[must_use]
pub fn route_for(method: &str, path: &str) -> Option<&'static Route> {
    let path = path.split('?').next().unwrap_or_default();
    ROUTES
        .iter()
        .filter(|r| fits(r.path, path))
        .find_map(|r| find(method, r.path))
}

/// The listener that serves the concrete `path` (a query is ignored): the
/// staff listener when every route at its template is staff's, else the
/// kiosk listener (also for a path no route has).
#[must_use]
pub fn listener_of(path: &str) -> Listener {
    let path = path.split('?').next().unwrap_or_default();
    let mut at = ROUTES.iter().filter(|r| fits(r.path, path)).peekable();
    if at.peek().is_some() && at.all(|r| r.who == Who::Staff) {
        Listener::Staff
    } else {
        Listener::Kiosk
    }
}

/// The methods served at the OpenAPI path `template` on `listener` (with
/// `demo`, the demo routes too), upper case, `HEAD` beside each `GET`: the
/// `Allow` of a 405. Empty when nothing is served there, here.
#[must_use]
pub fn allowed(template: &str, listener: Listener, demo: bool) -> Vec<String> {
    let mut methods: Vec<String> = ROUTES
        .iter()
        .filter(|r| r.path == template && r.who.listener() == listener && (demo || !r.demo))
        .flat_map(|r| {
            let head = (r.method == "get").then(|| "HEAD".to_owned());
            std::iter::once(r.method.to_ascii_uppercase()).chain(head)
        })
        .collect();
    methods.sort();
    methods.dedup();
    methods
}

/// Why a request is refused before its handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not served here (another listener's route, a demo route without
    /// `--demo`, a route missing from the table): 404, as if it did not
    /// exist.
    NotHere,
    /// No certificate where one is needed: 401.
    Unauthenticated,
    /// Not this caller's: 403.
    Forbidden,
}

impl Refusal {
    #[must_use]
    pub fn code(self) -> ProblemCode {
        match self {
            Self::NotHere => ProblemCode::NotFound,
            Self::Unauthenticated => ProblemCode::Unauthenticated,
            Self::Forbidden => ProblemCode::Forbidden,
        }
    }
}

/// The path parameters a route's rule reads, percent-decoded as the
/// handlers read them ([`parameter`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathParameters {
    /// `{number}`: an order number ([`Who::OwnOrder`]).
    pub order: Option<String>,
    /// `{kiosk}`: a kiosk code ([`Who::OwnKiosk`]).
    pub kiosk: Option<String>,
}

impl PathParameters {
    /// The parameters of the concrete `path` (no query), matched against
    /// the OpenAPI path `template`.
    #[must_use]
    pub fn of(template: &str, path: &str) -> Self {
        Self {
            order: parameter(template, path, "number"),
            kiosk: parameter(template, path, "kiosk"),
        }
    }
}

/// Whether `caller` on `listener` may call `route` (`None`: a route not in
/// the table). `params` are the path's parameters the rules read; `demo`
/// whether the service runs with `--demo`.
pub fn check(
    route: Option<&Route>,
    listener: Listener,
    caller: &Caller,
    params: &PathParameters,
    demo: bool,
) -> Result<(), Refusal> {
    let route = route.ok_or(Refusal::NotHere)?;
    if route.who.listener() != listener || (route.demo && !demo) {
        return Err(Refusal::NotHere);
    }
    match (route.who, caller) {
        (Who::Anyone, _) | (_, Caller::Local) => Ok(()),
        (Who::Staff, Caller::Staff(_)) => Ok(()),
        (Who::AnyKiosk, Caller::Kiosk(_)) => Ok(()),
        (Who::OwnOrder, Caller::Kiosk(code)) => {
            // The number must be one, and this kiosk's: a kiosk only ever
            // sends its own, well-formed numbers.
            match params
                .order
                .as_deref()
                .and_then(|n| n.parse::<OrderNumber>().ok())
            {
                Some(number) if number.kiosk() == *code => Ok(()),
                _ => Err(Refusal::Forbidden),
            }
        }
        (Who::OwnKiosk, Caller::Kiosk(code)) => {
            // The kiosk's own code, in its one spelling (upper case): a
            // kiosk only ever sends its own.
            if params.kiosk.as_deref() == Some(code.as_str()) {
                Ok(())
            } else {
                Err(Refusal::Forbidden)
            }
        }
        (Who::AnyKiosk | Who::OwnOrder | Who::OwnKiosk, Caller::Staff(_)) => {
            Err(Refusal::Forbidden)
        }
        (Who::Staff, Caller::Kiosk(_)) => Err(Refusal::Forbidden),
        (_, Caller::Anonymous) => Err(Refusal::Unauthenticated),
    }
}

/// The value of the `{name}` parameter in `path`, matched against the
/// OpenAPI path `template`, percent-decoded as the handlers' `Path`
/// extractor decodes it (so that `%54YA…` is checked as the `TYA…` the
/// handler would act on). `None` when it is absent or not UTF-8.
#[must_use]
pub fn parameter(template: &str, path: &str, name: &str) -> Option<String> {
    let wanted = format!("{{{name}}}");
    template
        .split('/')
        .zip(path.split('/'))
        .find(|(t, _)| *t == wanted)
        .and_then(|(_, value)| {
            percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .ok()
                .map(std::borrow::Cow::into_owned)
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn kiosk(code: &str) -> Caller {
        Caller::Kiosk(code.parse().unwrap())
    }

    #[test]
    fn every_route_is_listed_once() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(
                    (a.method, a.path) != (b.method, b.path),
                    "{} {} twice",
                    a.method,
                    a.path
                );
            }
        }
    }

    fn order(number: &str) -> PathParameters {
        PathParameters {
            order: Some(number.to_owned()),
            kiosk: None,
        }
    }

    fn kiosk_param(code: &str) -> PathParameters {
        PathParameters {
            order: None,
            kiosk: Some(code.to_owned()),
        }
    }

    const NONE: &PathParameters = &PathParameters {
        order: None,
        kiosk: None,
    };

    #[test]
    fn a_kiosk_reaches_its_own_orders_only() {
        let route = find("PUT", "/v1/orders/{number}");
        let mine = kiosk_domain::fixtures::order_number(1).to_string();
        assert_eq!(mine[..3], *"TYA");
        let ok = |caller: &Caller| check(route, Listener::Kiosk, caller, &order(&mine), false);
        assert_eq!(ok(&kiosk("TYA")), Ok(()));
        assert_eq!(ok(&kiosk("KAB")), Err(Refusal::Forbidden));
        // A number that is none, for a kiosk: refused (a kiosk sends only
        // its own well-formed numbers).
        assert_eq!(
            check(route, Listener::Kiosk, &kiosk("TYA"), &order("NOPE"), false),
            Err(Refusal::Forbidden)
        );
        assert_eq!(ok(&Caller::Anonymous), Err(Refusal::Unauthenticated));
        assert_eq!(ok(&Caller::Staff("x".into())), Err(Refusal::Forbidden));
        assert_eq!(ok(&Caller::Local), Ok(()));
        // Never on the staff listener.
        assert_eq!(
            check(route, Listener::Staff, &Caller::Local, &order(&mine), false),
            Err(Refusal::NotHere)
        );
    }

    #[test]
    fn a_kiosk_records_counter_payments_for_its_own_orders_only() {
        // The member of staff's signature is the handler's check; the
        // route itself is the calling kiosk's own orders', on its listener.
        let route = find("POST", "/v1/orders/{number}/counter-payments");
        assert_eq!(route.map(|r| (r.who, r.demo)), Some((Who::OwnOrder, false)));
        let mine = kiosk_domain::fixtures::order_number(1).to_string();
        let at = |listener, caller: &Caller| check(route, listener, caller, &order(&mine), false);
        assert_eq!(at(Listener::Kiosk, &kiosk("TYA")), Ok(()));
        assert_eq!(at(Listener::Kiosk, &kiosk("KAB")), Err(Refusal::Forbidden));
        assert_eq!(
            at(Listener::Kiosk, &Caller::Anonymous),
            Err(Refusal::Unauthenticated)
        );
        // Staff record payments through the back office, not as a kiosk.
        assert_eq!(
            at(Listener::Kiosk, &Caller::Staff("王".into())),
            Err(Refusal::Forbidden)
        );
        assert_eq!(
            at(Listener::Staff, &Caller::Staff("王".into())),
            Err(Refusal::NotHere)
        );
        assert_eq!(
            listener_of(&format!("/v1/orders/{mine}/counter-payments")),
            Listener::Kiosk
        );
        assert_eq!(
            allowed(
                "/v1/orders/{number}/counter-payments",
                Listener::Kiosk,
                false
            ),
            ["POST"]
        );
    }

    #[test]
    fn a_kiosk_cancels_its_own_orders_only() {
        let route = find("POST", "/v1/orders/{number}/cancellation");
        assert_eq!(route.map(|r| (r.who, r.demo)), Some((Who::OwnOrder, false)));
        let mine = kiosk_domain::fixtures::order_number(1).to_string();
        let at = |listener, caller: &Caller| check(route, listener, caller, &order(&mine), false);
        assert_eq!(at(Listener::Kiosk, &kiosk("TYA")), Ok(()));
        assert_eq!(at(Listener::Kiosk, &kiosk("KAB")), Err(Refusal::Forbidden));
        assert_eq!(
            at(Listener::Kiosk, &Caller::Anonymous),
            Err(Refusal::Unauthenticated)
        );
        assert_eq!(
            at(Listener::Staff, &Caller::Staff("王".into())),
            Err(Refusal::NotHere)
        );
        assert_eq!(
            listener_of(&format!("/v1/orders/{mine}/cancellation")),
            Listener::Kiosk
        );
        assert_eq!(
            allowed("/v1/orders/{number}/cancellation", Listener::Kiosk, false),
            ["POST"]
        );
    }

    #[test]
    fn a_kiosk_reaches_its_own_staff_calls_only() {
        for (method, path) in [
            ("PUT", "/v1/kiosks/{kiosk}/staff-calls/{call}"),
            ("GET", "/v1/kiosks/{kiosk}/staff-calls/{call}"),
            ("HEAD", "/v1/kiosks/{kiosk}/staff-calls/{call}"),
            ("POST", "/v1/kiosks/{kiosk}/staff-calls/{call}/withdraw"),
        ] {
            let route = find(method, path);
            assert_eq!(route.map(|r| r.who), Some(Who::OwnKiosk), "{method} {path}");
            let at = |caller: &Caller, code: &str| {
                check(route, Listener::Kiosk, caller, &kiosk_param(code), false)
            };
            assert_eq!(at(&kiosk("TYA"), "TYA"), Ok(()), "{method} {path}");
            assert_eq!(at(&kiosk("KAB"), "TYA"), Err(Refusal::Forbidden));
            // Not a kiosk code, or not in its one spelling: refused.
            for other in ["tya", "TY", "TYAA", "TYO", "", " TYA"] {
                assert_eq!(
                    at(&kiosk("TYA"), other),
                    Err(Refusal::Forbidden),
                    "{other:?}"
                );
            }
            // No `{kiosk}` read at all: refused.
            assert_eq!(
                check(route, Listener::Kiosk, &kiosk("TYA"), NONE, false),
                Err(Refusal::Forbidden)
            );
            assert_eq!(at(&Caller::Anonymous, "TYA"), Err(Refusal::Unauthenticated));
            assert_eq!(
                at(&Caller::Staff("王".into()), "TYA"),
                Err(Refusal::Forbidden)
            );
            assert_eq!(at(&Caller::Local, "TYA"), Ok(()));
            // Never on the staff listener.
            assert_eq!(
                check(
                    route,
                    Listener::Staff,
                    &Caller::Local,
                    &kiosk_param("TYA"),
                    false
                ),
                Err(Refusal::NotHere)
            );
        }
        // Read from the path decoded, as the handler reads it.
        let template = "/v1/kiosks/{kiosk}/staff-calls/{call}";
        let params = PathParameters::of(template, "/v1/kiosks/%54YA/staff-calls/0000000000000001");
        assert_eq!(params.kiosk.as_deref(), Some("TYA"));
        assert_eq!(params.order, None);
        assert_eq!(
            check(
                find("GET", template),
                Listener::Kiosk,
                &kiosk("TYA"),
                &params,
                false
            ),
            Ok(())
        );
        assert_eq!(
            check(
                find("GET", template),
                Listener::Kiosk,
                &kiosk("KAB"),
                &params,
                false
            ),
            Err(Refusal::Forbidden)
        );
    }

    #[test]
    fn a_kiosk_reads_and_writes_its_own_audit_log_only() {
        for (method, path) in [
            ("GET", "/v1/kiosks/{kiosk}/audit"),
            ("HEAD", "/v1/kiosks/{kiosk}/audit"),
            ("PUT", "/v1/kiosks/{kiosk}/audit/{seq}"),
        ] {
            let route = find(method, path);
            assert_eq!(route.map(|r| r.who), Some(Who::OwnKiosk), "{method} {path}");
            let at = |caller: &Caller, code: &str| {
                check(route, Listener::Kiosk, caller, &kiosk_param(code), false)
            };
            assert_eq!(at(&kiosk("TYA"), "TYA"), Ok(()), "{method} {path}");
            assert_eq!(at(&kiosk("KAB"), "TYA"), Err(Refusal::Forbidden));
            for other in ["tya", "TY", "TYAA", "TYO", "", " TYA"] {
                assert_eq!(
                    at(&kiosk("TYA"), other),
                    Err(Refusal::Forbidden),
                    "{other:?}"
                );
            }
            assert_eq!(
                check(route, Listener::Kiosk, &kiosk("TYA"), NONE, false),
                Err(Refusal::Forbidden)
            );
            assert_eq!(at(&Caller::Anonymous, "TYA"), Err(Refusal::Unauthenticated));
            assert_eq!(
                at(&Caller::Staff("王".into()), "TYA"),
                Err(Refusal::Forbidden)
            );
            assert_eq!(at(&Caller::Local, "TYA"), Ok(()));
            assert_eq!(
                check(
                    route,
                    Listener::Staff,
                    &Caller::Local,
                    &kiosk_param("TYA"),
                    false
                ),
                Err(Refusal::NotHere)
            );
        }
        // Read from the path decoded, as the handler reads it.
        let template = "/v1/kiosks/{kiosk}/audit/{seq}";
        let params = PathParameters::of(template, "/v1/kiosks/%54YA/audit/1");
        assert_eq!(params.kiosk.as_deref(), Some("TYA"));
        let put = find("PUT", template);
        assert_eq!(
            check(put, Listener::Kiosk, &kiosk("TYA"), &params, false),
            Ok(())
        );
        assert_eq!(
            check(put, Listener::Kiosk, &kiosk("KAB"), &params, false),
            Err(Refusal::Forbidden)
        );
        assert_eq!(
            route_for("PUT", "/v1/kiosks/TYA/audit/7").map(|r| r.path),
            Some(template)
        );
        assert_eq!(listener_of("/v1/kiosks/TYA/audit"), Listener::Kiosk);
        assert_eq!(listener_of("/v1/kiosks/TYA/audit/7"), Listener::Kiosk);
    }

    #[test]
    fn staff_read_every_kiosks_audit_log_on_the_staff_listener() {
        for (method, path) in [
            ("GET", "/v1/admin/kiosks/{kiosk}/audit"),
            ("HEAD", "/v1/admin/kiosks/{kiosk}/audit"),
            ("GET", "/admin/kiosks/{kiosk}/audit"),
        ] {
            let route = find(method, path);
            assert_eq!(route.map(|r| r.who), Some(Who::Staff), "{method} {path}");
            let params = kiosk_param("TYA");
            // Not even the kiosk whose log it is.
            assert_eq!(
                check(route, Listener::Staff, &kiosk("TYA"), &params, false),
                Err(Refusal::Forbidden)
            );
            assert_eq!(
                check(route, Listener::Kiosk, &kiosk("TYA"), &params, false),
                Err(Refusal::NotHere)
            );
            assert_eq!(
                check(route, Listener::Kiosk, &Caller::Local, &params, false),
                Err(Refusal::NotHere)
            );
            // Any kiosk's, for staff.
            for code in ["TYA", "KAB"] {
                assert_eq!(
                    check(
                        route,
                        Listener::Staff,
                        &Caller::Staff("王".into()),
                        &kiosk_param(code),
                        false
                    ),
                    Ok(())
                );
            }
            assert_eq!(
                check(route, Listener::Staff, &Caller::Local, &params, false),
                Ok(())
            );
        }
        assert_eq!(listener_of("/v1/admin/kiosks/TYA/audit"), Listener::Staff);
        assert_eq!(listener_of("/admin/kiosks/TYA/audit"), Listener::Staff);
    }

    #[test]
    fn staff_calls_are_answered_by_staff_on_the_staff_listener() {
        for (method, path) in [
            ("GET", "/v1/admin/staff-calls"),
            ("POST", "/v1/admin/staff-calls/{kiosk}/{call}/acknowledge"),
            ("POST", "/admin/staff-calls/{kiosk}/{call}/acknowledge"),
        ] {
            let route = find(method, path);
            let params = kiosk_param("TYA");
            assert_eq!(route.map(|r| r.who), Some(Who::Staff), "{method} {path}");
            // The kiosk whose call it is may not acknowledge it.
            assert_eq!(
                check(route, Listener::Staff, &kiosk("TYA"), &params, false),
                Err(Refusal::Forbidden)
            );
            assert_eq!(
                check(route, Listener::Kiosk, &kiosk("TYA"), &params, false),
                Err(Refusal::NotHere)
            );
            assert_eq!(
                check(
                    route,
                    Listener::Staff,
                    &Caller::Staff("王".into()),
                    &params,
                    false
                ),
                Ok(())
            );
            assert_eq!(
                check(route, Listener::Staff, &Caller::Local, &params, false),
                Ok(())
            );
        }
    }

    #[test]
    fn kiosks_upload_review_captures_and_staff_alone_see_them() {
        let put = find("PUT", "/v1/accounts/mobile-reviews/captures/{sha256}");
        assert_eq!(put.map(|r| r.who), Some(Who::AnyKiosk));
        let at = |caller: &Caller| check(put, Listener::Kiosk, caller, NONE, false);
        assert_eq!(at(&kiosk("TYA")), Ok(()));
        assert_eq!(at(&kiosk("KAB")), Ok(()));
        assert_eq!(at(&Caller::Local), Ok(()));
        assert_eq!(at(&Caller::Anonymous), Err(Refusal::Unauthenticated));
        assert_eq!(at(&Caller::Staff("王".into())), Err(Refusal::Forbidden));
        assert_eq!(
            check(put, Listener::Staff, &Caller::Local, NONE, false),
            Err(Refusal::NotHere)
        );
        let digest = "0".repeat(64);
        assert_eq!(
            route_for(
                "PUT",
                &format!("/v1/accounts/mobile-reviews/captures/{digest}")
            ),
            put
        );
        for kind in ["licence", "id"] {
            let path = format!("/admin/mobile-reviews/{{id}}/captures/{kind}");
            let get = find("GET", &path);
            assert_eq!(get.map(|r| r.who), Some(Who::Staff), "{path}");
            assert_eq!(find("HEAD", &path), get);
            let staff = Caller::Staff("王".into());
            assert_eq!(check(get, Listener::Staff, &staff, NONE, false), Ok(()));
            assert_eq!(
                check(get, Listener::Staff, &Caller::Local, NONE, false),
                Ok(())
            );
            // Not even the kiosk that uploaded it.
            assert_eq!(
                check(get, Listener::Staff, &kiosk("TYA"), NONE, false),
                Err(Refusal::Forbidden)
            );
            assert_eq!(
                check(get, Listener::Kiosk, &kiosk("TYA"), NONE, false),
                Err(Refusal::NotHere)
            );
            assert_eq!(
                listener_of(&format!("/admin/mobile-reviews/abc/captures/{kind}")),
                Listener::Staff
            );
        }
    }

    #[test]
    fn any_kiosk_reads_the_staff_revocation_lists_on_the_kiosk_listener() {
        let route = find("GET", "/v1/staff/crl");
        assert_eq!(route.map(|r| r.who), Some(Who::AnyKiosk));
        assert_eq!(find("HEAD", "/v1/staff/crl"), route);
        let at = |caller: &Caller| check(route, Listener::Kiosk, caller, NONE, false);
        assert_eq!(at(&kiosk("TYA")), Ok(()));
        assert_eq!(at(&kiosk("KAB")), Ok(()));
        assert_eq!(at(&Caller::Local), Ok(()));
        assert_eq!(at(&Caller::Anonymous), Err(Refusal::Unauthenticated));
        assert_eq!(at(&Caller::Staff("王".into())), Err(Refusal::Forbidden));
        assert_eq!(
            check(route, Listener::Staff, &Caller::Local, NONE, false),
            Err(Refusal::NotHere)
        );
        assert_eq!(listener_of("/v1/staff/crl"), Listener::Kiosk);
    }

    #[test]
    fn staff_routes_need_staff_on_the_staff_listener() {
        let route = find("post", "/v1/admin/orders/{number}/payments");
        assert_eq!(
            check(route, Listener::Kiosk, &kiosk("TYA"), NONE, true),
            Err(Refusal::NotHere)
        );
        assert_eq!(
            check(route, Listener::Staff, &kiosk("TYA"), NONE, true),
            Err(Refusal::Forbidden)
        );
        assert_eq!(
            check(
                route,
                Listener::Staff,
                &Caller::Staff("王".into()),
                NONE,
                false
            ),
            Ok(())
        );
    }

    #[test]
    fn simulators_exist_only_in_demo_mode_and_unknown_routes_nowhere() {
        let sms = find("get", "/v1/admin/sms");
        let staff = Caller::Staff("x".into());
        assert_eq!(
            check(sms, Listener::Staff, &staff, NONE, false),
            Err(Refusal::NotHere)
        );
        assert_eq!(check(sms, Listener::Staff, &staff, NONE, true), Ok(()));
        assert_eq!(
            check(None, Listener::Kiosk, &Caller::Local, NONE, true),
            Err(Refusal::NotHere)
        );
    }

    #[test]
    fn a_405_allows_the_methods_served_here_only() {
        assert_eq!(
            allowed("/v1/orders/{number}/invoice", Listener::Kiosk, false),
            ["GET", "HEAD"]
        );
        assert!(allowed("/v1/orders/{number}/invoice", Listener::Staff, false).is_empty());
        assert_eq!(
            allowed("/v1/admin/orders/{number}/invoice", Listener::Staff, false),
            ["POST"]
        );
        assert_eq!(
            allowed("/pay/{id}", Listener::Kiosk, true),
            ["GET", "HEAD", "POST"]
        );
        assert!(allowed("/pay/{id}", Listener::Kiosk, false).is_empty());
        assert!(allowed("/admin", Listener::Kiosk, true).is_empty());
        assert!(allowed("/nowhere", Listener::Kiosk, true).is_empty());
    }

    #[test]
    fn head_is_its_get_unless_it_has_its_own_route() {
        assert_eq!(find("HEAD", "/v1/config").unwrap().method, "get");
        assert_eq!(
            find("HEAD", "/v1/orders/{number}/attachments/{position}")
                .unwrap()
                .method,
            "head"
        );
        assert!(find("HEAD", "/v1/renewals/open").is_none());
    }

    #[test]
    fn a_path_is_served_by_the_listener_of_its_routes() {
        assert_eq!(listener_of("/admin"), Listener::Staff);
        assert_eq!(listener_of("/admin/orders/TYA1/status"), Listener::Staff);
        assert_eq!(listener_of("/v1/admin/sms?x=1"), Listener::Staff);
        assert_eq!(listener_of("/v1/orders/TYA1"), Listener::Kiosk);
        assert_eq!(listener_of("/v1/orders/TYA1/invoice"), Listener::Kiosk);
        assert_eq!(
            listener_of("/v1/admin/orders/TYA1/invoice"),
            Listener::Staff
        );
        assert_eq!(listener_of("/nowhere"), Listener::Kiosk);
        assert_eq!(
            listener_of("/v1/kiosks/TYA/staff-calls/0000000000000001"),
            Listener::Kiosk
        );
        assert_eq!(
            listener_of("/v1/admin/staff-calls/TYA/0000000000000001/acknowledge"),
            Listener::Staff
        );
        assert_eq!(
            route_for("POST", "/v1/admin/orders/TYA1/invoice").map(|r| r.who),
            Some(Who::Staff)
        );
        assert_eq!(
            route_for("GET", "/v1/orders/TYA1/invoice").map(|r| r.who),
            Some(Who::AnyKiosk)
        );
        assert!(route_for("DELETE", "/v1/orders/TYA1/invoice").is_none());
    }

    #[test]
    fn parameters_are_read_from_the_path() {
        assert_eq!(
            parameter(
                "/v1/orders/{number}/attachments/{position}",
                "/v1/orders/TYA1/attachments/2",
                "number"
            ),
            Some("TYA1".to_owned())
        );
        assert_eq!(
            parameter("/v1/orders/{number}", "/v1/orders/%54YA1", "number"),
            Some("TYA1".to_owned()),
            "decoded as the handler decodes it"
        );
        assert_eq!(parameter("/v1/feed", "/v1/feed", "number"), None);
    }
}
