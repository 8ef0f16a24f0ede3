// Diesel table definitions, shared by both backends (plain SQL types only, see ../shared/docs/ARCHITECTURE.md).

diesel::table! {
    app_settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    changes (seq) {
        seq -> BigInt,
        entity -> Text,
        entity_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    profile_views (id) {
        id -> Text,
        user_id -> Text,
        organisation_id -> Nullable<Text>,
        profiles -> Integer,
        viewed_at -> Timestamp,
    }
}

diesel::table! {
    occupation_relations (occupation_id, related_id) {
        occupation_id -> Text,
        related_id -> Text,
        relatedness -> Double,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_events (id) {
        id -> Text,
        subject -> Text,
        kind -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    external_identities (issuer, subject) {
        issuer -> Text,
        subject -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        last_login_at -> Timestamp,
    }
}

diesel::table! {
    password_resets (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    municipalities (id) {
        id -> Text,
        name -> Text,
        cbs_code -> Text,
        settings -> Text,
        settings_version -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    pc4_areas (pc4) {
        pc4 -> Text,
        lat -> Double,
        lon -> Double,
        place -> Text,
        municipality -> Text,
        municipality_code -> Text,
        province -> Text,
    }
}

diesel::table! {
    isco_groups (isco_code) {
        isco_code -> Text,
        level -> Integer,
        label_nl -> Text,
        label_en -> Text,
    }
}

diesel::table! {
    esco_occupations (id) {
        id -> Text,
        esco_code -> Text,
        isco_group -> Text,
        label_nl -> Text,
        alt_labels_nl -> Text,
        label_en -> Text,
        description_nl -> Text,
    }
}

diesel::table! {
    esco_skills (id) {
        id -> Text,
        skill_type -> Text,
        reuse_level -> Text,
        label_nl -> Nullable<Text>,
        alt_labels_nl -> Text,
        label_en -> Text,
        group_code -> Text,
        group_nl -> Text,
        description_nl -> Text,
        municipality_id -> Nullable<Text>,
    }
}

diesel::table! {
    esco_occupation_skills (occupation_id, skill_id) {
        occupation_id -> Text,
        skill_id -> Text,
        essential -> Bool,
    }
}

diesel::table! {
    organisations (id) {
        id -> Text,
        name -> Text,
        kvk_number -> Text,
        sector -> Text,
        pc4 -> Text,
        contact_name -> Text,
        contact_email -> Text,
        contact_phone -> Text,
        verified -> Bool,
        verified_at -> Nullable<Timestamp>,
        verified_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        email_normalized -> Text,
        password_hash -> Text,
        role -> Text,
        name -> Text,
        municipality_id -> Nullable<Text>,
        organisation_id -> Nullable<Text>,
        candidate_id -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
        last_login_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    candidates (id) {
        id -> Text,
        municipality_id -> Text,
        klantmanager_id -> Text,
        first_name -> Text,
        last_name -> Text,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        birth_date -> Date,
        pc4 -> Text,
        education_level -> Text,
        startkwalificatie -> Bool,
        language_level -> Nullable<Text>,
        hours_min -> Integer,
        hours_max -> Integer,
        max_travel_km -> Integer,
        driving_licence -> Bool,
        own_transport -> Bool,
        loonwaarde -> Nullable<Integer>,
        loonwaarde_date -> Nullable<Date>,
        doelgroepregister -> Bool,
        beschut_werk_indicatie -> Bool,
        lks_target_group -> Bool,
        needs_job_coach -> Bool,
        statushouder -> Bool,
        work_capacity_limits -> Text,
        support_needs -> Text,
        zrm_scores -> Text,
        sector_preferences -> Text,
        available_from -> Nullable<Date>,
        consent_matching -> Bool,
        consent_anonymous_profile -> Bool,
        consent_email -> Bool,
        status -> Text,
        outflow_reason -> Nullable<Text>,
        outflow_date -> Nullable<Date>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        client_number -> Nullable<Text>,
        benefit_type -> Text,
        registration_date -> Date,
        client_group_id -> Nullable<Text>,
        doelgroepregister_route -> Nullable<Text>,
        doelgroepregister_date -> Nullable<Date>,
        kind_preferences -> Text,
        days_available -> Text,
        wishes_changed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    client_groups (id) {
        id -> Text,
        municipality_id -> Text,
        name -> Text,
        description -> Text,
        contact_norm_days -> Integer,
        default_target_step -> Nullable<Integer>,
        is_default -> Bool,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    client_group_targets (client_group_id, year, indicator) {
        client_group_id -> Text,
        year -> Integer,
        indicator -> Text,
        target -> Integer,
    }
}

diesel::table! {
    import_fingerprints (candidate_id) {
        candidate_id -> Text,
        fingerprint -> Text,
    }
}

diesel::table! {
    import_runs (id) {
        id -> Text,
        municipality_id -> Text,
        user_id -> Nullable<Text>,
        file_name -> Text,
        applied -> Bool,
        rows_read -> Integer,
        valid -> Integer,
        created -> Integer,
        changed -> Integer,
        unchanged -> Integer,
        refused -> Nullable<Text>,
        issues_csv -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    candidate_occupations (candidate_id, occupation_id) {
        candidate_id -> Text,
        occupation_id -> Text,
        experience -> Text,
    }
}

diesel::table! {
    candidate_skills (id) {
        id -> Text,
        candidate_id -> Text,
        skill_id -> Nullable<Text>,
        free_text -> Nullable<Text>,
        level -> Text,
    }
}

diesel::table! {
    ladder_measurements (id) {
        id -> Text,
        candidate_id -> Text,
        measured_on -> Date,
        step -> Integer,
        target_step -> Nullable<Integer>,
        measured_by -> Nullable<Text>,
        note -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    contact_moments (id) {
        id -> Text,
        candidate_id -> Text,
        contact_date -> Date,
        channel -> Text,
        by_user_id -> Nullable<Text>,
        note -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sroi_contracts (id) {
        id -> Text,
        organisation_id -> Text,
        municipality_id -> Text,
        reference -> Text,
        description -> Text,
        contract_value_cents -> BigInt,
        percentage -> Double,
        period_start -> Date,
        period_end -> Date,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    placements (id) {
        id -> Text,
        organisation_id -> Text,
        kind -> Text,
        title -> Text,
        description -> Text,
        occupation_id -> Nullable<Text>,
        hours_min -> Integer,
        hours_max -> Integer,
        pc4 -> Text,
        hourly_wage_cents -> Nullable<Integer>,
        language_level_required -> Nullable<Text>,
        ladder_steps -> Text,
        internal_supervisor -> Bool,
        job_coach_welcome -> Bool,
        adapted_workplace -> Bool,
        lks_accepted -> Bool,
        counts_banenafspraak -> Bool,
        sroi_contract_id -> Nullable<Text>,
        positions -> Integer,
        start_date -> Nullable<Date>,
        duration_months -> Nullable<Integer>,
        extension_months -> Nullable<Integer>,
        status -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        language_learning -> Bool,
    }
}

diesel::table! {
    proposal_logs (id) {
        id -> Text,
        direction -> Text,
        subject_id -> Text,
        municipality_id -> Nullable<Text>,
        requested_by -> Text,
        role -> Text,
        settings_version -> Integer,
        include_excluded -> Bool,
        results -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    placement_skills (placement_id, skill_id) {
        placement_id -> Text,
        skill_id -> Text,
        required -> Bool,
    }
}

diesel::table! {
    matches (id) {
        id -> Text,
        candidate_id -> Nullable<Text>,
        erased_subject_id -> Nullable<Text>,
        municipality_id -> Text,
        klantmanager_id -> Nullable<Text>,
        placement_id -> Nullable<Text>,
        organisation_id -> Nullable<Text>,
        placement_kind -> Text,
        placement_title -> Text,
        status -> Text,
        version -> Integer,
        instruments -> Text,
        package -> Text,
        employer_net_cost_cents -> Nullable<BigInt>,
        note -> Text,
        proposed_at -> Timestamp,
        candidate_decided_at -> Nullable<Timestamp>,
        candidate_reason -> Nullable<Text>,
        klantmanager_consent_at -> Nullable<Timestamp>,
        employer_decided_at -> Nullable<Timestamp>,
        employer_reason -> Nullable<Text>,
        disclosed_at -> Nullable<Timestamp>,
        consent_withdrawn_at -> Nullable<Timestamp>,
        introduction_date -> Nullable<Date>,
        start_date -> Nullable<Date>,
        trial_end_date -> Nullable<Date>,
        contract_type -> Nullable<Text>,
        hours_per_week -> Nullable<Double>,
        hourly_wage_cents -> Nullable<Integer>,
        instruments_granted -> Nullable<Text>,
        not_started_reason -> Nullable<Text>,
        sroi_contract_id -> Nullable<Text>,
        sroi_value_cents -> Nullable<BigInt>,
        retention_6 -> Nullable<Text>,
        retention_12 -> Nullable<Text>,
        closed_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
        introduction_time -> Nullable<Text>,
        introduction_place -> Nullable<Text>,
        introduction_contact -> Nullable<Text>,
    }
}

diesel::table! {
    municipality_profiles (municipality_id) {
        municipality_id -> Text,
        display_name -> Text,
        logo_url -> Nullable<Text>,
        colour -> Text,
        contact_phone -> Text,
        contact_email -> Text,
        contact_address -> Text,
        contact_hours -> Text,
        privacy_statement -> Text,
        accessibility_statement -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    match_events (id) {
        id -> Text,
        match_id -> Text,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        actor_id -> Nullable<Text>,
        actor_role -> Text,
        detail -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tasks (id) {
        id -> Text,
        municipality_id -> Text,
        klantmanager_id -> Nullable<Text>,
        candidate_id -> Nullable<Text>,
        match_id -> Nullable<Text>,
        kind -> Text,
        due_on -> Date,
        done_at -> Nullable<Timestamp>,
        done_by -> Nullable<Text>,
        result -> Nullable<Text>,
        reminded_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        placement_id -> Nullable<Text>,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        kind -> Text,
        to_address -> Text,
        to_name -> Text,
        recipient_role -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        candidate_id -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        actor_id -> Nullable<Text>,
        actor_role -> Text,
        organisation_id -> Nullable<Text>,
        candidate_id -> Text,
        municipality_id -> Nullable<Text>,
        action -> Text,
        what -> Text,
        purpose -> Text,
        channel -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    saved_searches (candidate_id) {
        candidate_id -> Text,
        query -> Text,
        created_at -> Timestamp,
        last_sent_at -> Timestamp,
    }
}

diesel::table! {
    job_runs (job, period) {
        job -> Text,
        period -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    erased_subjects (id) {
        id -> Text,
        municipality_id -> Text,
        klantmanager_id -> Nullable<Text>,
        registered_on -> Date,
        erased_on -> Date,
        status -> Text,
        outflow_reason -> Nullable<Text>,
        outflow_date -> Nullable<Date>,
        ladder_history -> Text,
        contact_dates -> Text,
        client_group_id -> Nullable<Text>,
    }
}

diesel::table! {
    registrations (id) {
        id -> Text,
        municipality_id -> Text,
        user_id -> Nullable<Text>,
        first_name -> Text,
        last_name -> Text,
        email -> Text,
        phone -> Nullable<Text>,
        birth_date -> Date,
        pc4 -> Text,
        education_level -> Text,
        benefit_type -> Text,
        hours_min -> Integer,
        hours_max -> Integer,
        message -> Text,
        consent_matching -> Bool,
        consent_anonymous_profile -> Bool,
        consent_email -> Bool,
        status -> Text,
        confirm_token_hash -> Nullable<Text>,
        confirm_expires_at -> Nullable<Timestamp>,
        confirmed_at -> Nullable<Timestamp>,
        candidate_id -> Nullable<Text>,
        assigned_by -> Nullable<Text>,
        assigned_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    plan_goals (id) {
        id -> Text,
        candidate_id -> Text,
        what -> Text,
        who -> Text,
        due_on -> Nullable<Date>,
        status -> Text,
        comment -> Text,
        done_at -> Nullable<Timestamp>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    skill_suggestions (id) {
        id -> Text,
        candidate_id -> Text,
        skill_id -> Text,
        status -> Text,
        created_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
        decided_by -> Nullable<Text>,
    }
}

diesel::joinable!(candidates -> municipalities (municipality_id));
diesel::joinable!(municipality_profiles -> municipalities (municipality_id));
diesel::joinable!(candidate_occupations -> candidates (candidate_id));
diesel::joinable!(candidate_skills -> candidates (candidate_id));
diesel::joinable!(import_fingerprints -> candidates (candidate_id));
diesel::joinable!(ladder_measurements -> candidates (candidate_id));
diesel::joinable!(contact_moments -> candidates (candidate_id));
diesel::joinable!(placements -> organisations (organisation_id));
diesel::joinable!(placement_skills -> placements (placement_id));
diesel::joinable!(sroi_contracts -> organisations (organisation_id));
diesel::joinable!(match_events -> matches (match_id));
diesel::joinable!(candidates -> client_groups (client_group_id));
diesel::joinable!(client_group_targets -> client_groups (client_group_id));
diesel::joinable!(saved_searches -> candidates (candidate_id));
diesel::joinable!(plan_goals -> candidates (candidate_id));
diesel::joinable!(external_identities -> users (user_id));
diesel::joinable!(matches -> placements (placement_id));
diesel::joinable!(esco_occupation_skills -> esco_occupations (occupation_id));

diesel::allow_tables_to_appear_in_same_query!(
    changes,
    profile_views,
    occupation_relations,
    sessions,
    login_events,
    password_resets,
    external_identities,
    app_settings,
    municipalities,
    pc4_areas,
    isco_groups,
    esco_occupations,
    esco_skills,
    municipality_profiles,
    esco_occupation_skills,
    organisations,
    users,
    candidates,
    candidate_occupations,
    candidate_skills,
    ladder_measurements,
    contact_moments,
    sroi_contracts,
    placements,
    placement_skills,
    proposal_logs,
    matches,
    match_events,
    tasks,
    outbox,
    audit_log,
    saved_searches,
    job_runs,
    erased_subjects,
    registrations,
    plan_goals,
    skill_suggestions,
    client_groups,
    client_group_targets,
    import_fingerprints,
    import_runs,
);
