//! What the source list shows beside each source's settings: whether the admin confirmed
//! that Weekerp has it (with its current key), and a key rotation in progress. Read from the
//! config and the rotation records only: no network.

use serde::Serialize;

use super::{Sources, handoff};
use crate::iam::rotation::{self, RotationError, RotationStatus};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SourceStatus {
    pub name: String,
    /// Registered in Weekerp with the key the source uses now.
    pub in_weekerp: bool,
    pub rotation: Option<RotationStatus>,
}

/// The status of every source, in the config's order.
pub fn all(sources: &Sources) -> Result<Vec<SourceStatus>, RotationError> {
    let config = sources.store().load().map_err(super::SourceError::from)?;
    config
        .sources
        .iter()
        .map(|s| {
            let rotation = rotation::status(sources, &s.name)?;
            Ok(SourceStatus {
                name: s.name.clone(),
                in_weekerp: handoff::is_registered(&config, s),
                rotation,
            })
        })
        .collect()
}
