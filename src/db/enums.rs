//! The one place where the typed states of the domain meet their text columns: each enum is
//! written as its snake_case name (strum, the same strings as the API) and read back strictly, so
//! an unknown value in the database is an error when the row is read, not a string passed on.
//! The CHECK constraints of the migrations (`2026-12-07-000001_checks`) refuse such values on
//! write as well.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

macro_rules! text_column {
    ($($ty:ty => $proxy:ident),* $(,)?) => {$(
        /// Lets diesel bind and load the domain type (foreign derive: the domain stays free of
        /// diesel).
        #[derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
        #[diesel(foreign_derive)]
        #[diesel(sql_type = Text)]
        #[allow(dead_code)]
        struct $proxy($ty);

        impl<DB: Backend> FromSql<Text, DB> for $ty
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let s = <String as FromSql<Text, DB>>::from_sql(bytes)?;
                let name = std::any::type_name::<$ty>().rsplit("::").next().unwrap_or("value");
                s.parse::<$ty>().map_err(|_| format!("unknown {name} {s:?} in the database").into())
            }
        }

        impl<DB: Backend> ToSql<Text, DB> for $ty
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                let s: &'static str = (*self).into();
                <str as ToSql<Text, DB>>::to_sql(s, out)
            }
        }
    )*};
}

text_column!(
    crate::domain::workflow::MatchStatus => MatchStatusColumn,
    crate::domain::PlacementKind => PlacementKindColumn,
    crate::domain::PlacementStatus => PlacementStatusColumn,
    crate::domain::CandidateStatus => CandidateStatusColumn,
    crate::domain::BenefitType => BenefitTypeColumn,
    crate::domain::Role => RoleColumn,
    crate::domain::workflow::TaskKind => TaskKindColumn,
    crate::auth::Channel => ChannelColumn,
    crate::domain::ContactChannel => ContactChannelColumn,
    crate::domain::klantgroep::DoelgroepRoute => DoelgroepRouteColumn,
    crate::domain::klantgroep::TargetIndicator => TargetIndicatorColumn,
);

/// Rows are exported as stored (the person's own data export, AVG art. 15): these states have no
/// serde name of their own, so they serialise as their column text.
macro_rules! serialize_as_stored {
    ($($ty:ty),* $(,)?) => {$(
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let v: &'static str = (*self).into();
                s.serialize_str(v)
            }
        }
    )*};
}

serialize_as_stored!(
    crate::domain::CandidateStatus,
    crate::domain::PlacementStatus,
    crate::domain::workflow::TaskKind,
    crate::auth::Channel,
    crate::domain::ContactChannel,
);
