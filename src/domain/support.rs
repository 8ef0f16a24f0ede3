//! What a workplace offers in support (DOMAIN.md: job coach, a supervisor of its own, an adapted
//! workplace, learning Dutch on the job): one list, read by the search index (its flags and the
//! "met begeleiding" filter) and by the pages (the labels a candidate reads).

/// One kind of support a placement offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    InternalSupervisor,
    JobCoachWelcome,
    AdaptedWorkplace,
    LanguageLearning,
}

impl Support {
    /// The flag in the search index and the API.
    pub fn code(self) -> &'static str {
        match self {
            Support::InternalSupervisor => "internal_supervisor",
            Support::JobCoachWelcome => "job_coach_welcome",
            Support::AdaptedWorkplace => "adapted_workplace",
            Support::LanguageLearning => "language_learning",
        }
    }

    /// As a candidate reads it (B1).
    pub fn label_nl(self) -> &'static str {
        match self {
            Support::InternalSupervisor => "vaste begeleider",
            Support::JobCoachWelcome => "jobcoach welkom",
            Support::AdaptedWorkplace => "aangepaste werkplek",
            Support::LanguageLearning => "Nederlands leren op het werk",
        }
    }

    /// Guidance on the job, what the "met begeleiding" filter (flag `support`) finds: a
    /// supervisor, a job coach or an adapted workplace. Learning Dutch on the job is shown, but
    /// is not guidance.
    pub fn is_guidance(self) -> bool {
        !matches!(self, Support::LanguageLearning)
    }
}

/// The support a placement offers, in a fixed order.
pub fn offered(internal_supervisor: bool, job_coach_welcome: bool, adapted_workplace: bool, language_learning: bool) -> Vec<Support> {
    [
        (internal_supervisor, Support::InternalSupervisor),
        (job_coach_welcome, Support::JobCoachWelcome),
        (adapted_workplace, Support::AdaptedWorkplace),
        (language_learning, Support::LanguageLearning),
    ]
    .into_iter()
    .filter_map(|(on, s)| on.then_some(s))
    .collect()
}

/// Whether any of it is guidance on the job (the `support` flag).
pub fn has_guidance(offered: &[Support]) -> bool {
    offered.iter().any(|s| s.is_guidance())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_learning_is_shown_but_is_not_guidance() {
        let o = offered(false, false, false, true);
        assert_eq!(o.iter().map(|s| s.label_nl()).collect::<Vec<_>>(), ["Nederlands leren op het werk"]);
        assert!(!has_guidance(&o));
        let o = offered(true, true, false, true);
        assert_eq!(o.iter().map(|s| s.code()).collect::<Vec<_>>(), ["internal_supervisor", "job_coach_welcome", "language_learning"]);
        assert!(has_guidance(&o));
    }
}
