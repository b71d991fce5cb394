// @generated automatically by Diesel CLI.

diesel::table! {
    audit_log (id) {
        id -> Int8,
        at -> Timestamp,
        actor_kind -> Text,
        actor_id -> Nullable<Int8>,
        actor_label -> Text,
        action -> Text,
        object_type -> Text,
        object_id -> Nullable<Int8>,
        object_label -> Text,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
        ip -> Nullable<Text>,
        order_id -> Nullable<Int8>,
        source -> Text,
    }
}

diesel::table! {
    bundle_items (id) {
        id -> Int8,
        bundle_id -> Int8,
        product_id -> Int8,
    }
}

diesel::table! {
    consumption_events (id) {
        id -> Int8,
        license_id -> Int8,
        feature_code -> Text,
        event_id -> Text,
        quantity -> Int8,
        period -> Text,
        consumed_after -> Int8,
        at -> Timestamp,
    }
}

diesel::table! {
    customer_accounts (id) {
        id -> Int8,
        name -> Text,
        name_norm -> Text,
        code -> Text,
        code_norm -> Text,
        description -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    customer_labels (customer_id, label_id) {
        customer_id -> Int8,
        label_id -> Int8,
    }
}

diesel::table! {
    customers (id) {
        id -> Int8,
        email -> Text,
        email_norm -> Text,
        first_name -> Text,
        last_name -> Text,
        first_name_norm -> Text,
        last_name_norm -> Text,
        company -> Text,
        company_norm -> Text,
        phone -> Text,
        reference -> Text,
        reference_norm -> Text,
        external_id -> Text,
        address_line1 -> Text,
        address_line2 -> Text,
        postcode -> Text,
        city -> Text,
        state -> Text,
        country -> Text,
        customer_account_id -> Nullable<Int8>,
        status -> Text,
        metadata -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        email_domain -> Text,
    }
}

diesel::table! {
    customer_words (word, customer_id) {
        word -> Text,
        customer_id -> Int8,
    }
}

diesel::table! {
    device_variables (device_id, name) {
        device_id -> Int8,
        name -> Text,
        value -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    devices (id) {
        id -> Int8,
        license_id -> Int8,
        hardware_id -> Nullable<Text>,
        hostname -> Text,
        os -> Text,
        app_version -> Text,
        ip -> Text,
        first_activated_at -> Timestamp,
        last_check_at -> Nullable<Timestamp>,
        deactivated_at -> Nullable<Timestamp>,
        borrowed_until -> Nullable<Timestamp>,
        checkout_until -> Nullable<Timestamp>,
        sdk_version -> Text,
        token_hash -> Nullable<Text>,
        license_user_id -> Nullable<Int8>,
    }
}

diesel::table! {
    grant_products (id) {
        id -> Int8,
        grant_id -> Int8,
        product_id -> Int8,
        quota -> Nullable<Int8>,
        used -> Int8,
    }
}

diesel::table! {
    import_customer_labels (import_id, line, label_norm) {
        import_id -> Int8,
        line -> Int8,
        label_norm -> Text,
        label_name -> Text,
    }
}

diesel::table! {
    import_customer_rows (import_id, line) {
        import_id -> Int8,
        line -> Int8,
        customer_id -> Nullable<Int8>,
        email -> Text,
        email_norm -> Text,
        first_name -> Text,
        last_name -> Text,
        first_name_norm -> Text,
        last_name_norm -> Text,
        company -> Text,
        company_norm -> Text,
        phone -> Text,
        reference -> Text,
        reference_norm -> Text,
        external_id -> Text,
        address_line1 -> Text,
        address_line2 -> Text,
        postcode -> Text,
        city -> Text,
        state -> Text,
        country -> Text,
        customer_account_id -> Nullable<Int8>,
        metadata -> Text,
    }
}

diesel::table! {
    import_license_orders (import_id, reference_norm) {
        import_id -> Int8,
        reference -> Text,
        reference_norm -> Text,
        customer_email -> Text,
        customer_email_norm -> Text,
        customer_first_name -> Text,
        customer_last_name -> Text,
        customer_company -> Text,
    }
}

diesel::table! {
    import_license_rows (import_id, line) {
        import_id -> Int8,
        line -> Int8,
        license_key -> Text,
        key_norm -> Text,
        product_id -> Int8,
        order_id -> Nullable<Int8>,
        order_reference -> Text,
        order_reference_norm -> Text,
        customer_email -> Text,
        customer_email_norm -> Text,
        customer_first_name -> Text,
        customer_last_name -> Text,
        customer_company -> Text,
        license_type -> Text,
        enabled -> Bool,
        max_activations -> Int8,
        start_date -> Nullable<Date>,
        valid_until -> Nullable<Timestamp>,
        validity_days -> Nullable<Int8>,
        maintenance_until -> Nullable<Timestamp>,
        maintenance_days -> Nullable<Int8>,
        is_trial -> Bool,
        floating_seats -> Int8,
        borrow_limit_hours -> Int8,
        max_license_users -> Int8,
        note -> Text,
        metadata -> Text,
    }
}

diesel::table! {
    import_problems (id) {
        id -> Int8,
        import_id -> Int8,
        line -> Int8,
        column_name -> Text,
        kind -> Text,
        message -> Text,
    }
}

diesel::table! {
    import_files (import_id) {
        import_id -> Int8,
        data -> Bytea,
    }
}

diesel::table! {
    imports (id) {
        id -> Int8,
        kind -> Text,
        file_name -> Text,
        update_existing -> Bool,
        status -> Text,
        total_rows -> Int8,
        create_count -> Int8,
        update_count -> Int8,
        skip_count -> Int8,
        error_count -> Int8,
        rows_done -> Int8,
        file_error -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        staff_id -> Nullable<Int8>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        started_at -> Nullable<Timestamp>,
        preview_details -> Nullable<Text>,
    }
}

diesel::table! {
    labels (id) {
        id -> Int8,
        name -> Text,
        name_norm -> Text,
        colour -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    license_check_counts (license_id, day) {
        license_id -> Int8,
        day -> Date,
        checks -> Int8,
    }
}

diesel::table! {
    license_custom_fields (id) {
        id -> Int8,
        license_id -> Int8,
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    license_events (id) {
        id -> Int8,
        license_id -> Int8,
        device_id -> Nullable<Int8>,
        kind -> Text,
        amount -> Int8,
        at -> Timestamp,
        source -> Text,
        code -> Nullable<Text>,
    }
}

diesel::table! {
    license_features (id) {
        id -> Int8,
        license_id -> Int8,
        code -> Text,
        name -> Text,
        kind -> Text,
        max_consumption -> Nullable<Int8>,
        consumed -> Int8,
        max_overage -> Nullable<Int8>,
        period -> Text,
    }
}

diesel::table! {
    license_user_assignments (license_id, license_user_id) {
        license_id -> Int8,
        license_user_id -> Int8,
        created_at -> Timestamp,
    }
}

diesel::table! {
    license_managers (id) {
        id -> Int8,
        email -> Text,
        email_norm -> Text,
        name -> Text,
        password_hash -> Nullable<Text>,
        enabled -> Bool,
        last_sign_in_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        name_norm -> Text,
    }
}

diesel::table! {
    license_users (id) {
        id -> Int8,
        order_id -> Int8,
        email -> Text,
        email_norm -> Text,
        first_name -> Text,
        last_name -> Text,
        password_hash -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    licenses (id) {
        id -> Int8,
        license_key -> Text,
        key_norm -> Text,
        product_id -> Int8,
        order_id -> Int8,
        license_type -> Text,
        enabled -> Bool,
        max_activations -> Int8,
        active_devices -> Int8,
        start_date -> Nullable<Date>,
        valid_until -> Nullable<Timestamp>,
        validity_days -> Nullable<Int8>,
        maintenance_until -> Nullable<Timestamp>,
        maintenance_days -> Nullable<Int8>,
        is_trial -> Bool,
        floating_seats -> Int8,
        borrow_limit_hours -> Int8,
        note -> Text,
        metadata -> Text,
        first_activated_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        max_license_users -> Int8,
        root_grant_id -> Nullable<Int8>,
        quota_product_id -> Nullable<Int8>,
        max_transfers -> Nullable<Int8>,
        transfers -> Int8,
        lease_minutes -> Nullable<Int8>,
        consumption_period -> Text,
        import_id -> Nullable<Int8>,
    }
}

diesel::table! {
    login_attempts (id) {
        id -> Int8,
        area -> Text,
        email_norm -> Text,
        ip -> Text,
        attempted_at -> Timestamp,
    }
}

diesel::table! {
    manager_grants (id) {
        id -> Int8,
        manager_id -> Int8,
        order_id -> Int8,
        manage_license_users -> Bool,
        manage_user_credentials -> Bool,
        manage_managers -> Bool,
        reset_device -> Bool,
        reset_license -> Bool,
        borrow_license -> Bool,
        create_bundle_order -> Bool,
        create_order -> Bool,
        issue_license -> Bool,
        invite_state -> Text,
        created_by_kind -> Text,
        created_by_id -> Nullable<Int8>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        parent_grant_id -> Nullable<Int8>,
        vendor_made -> Bool,
    }
}

diesel::table! {
    orders (id) {
        id -> Int8,
        reference -> Text,
        reference_norm -> Text,
        customer_id -> Nullable<Int8>,
        is_test -> Bool,
        is_trial -> Bool,
        campaign_params -> Text,
        download_id -> Text,
        metadata -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> Int8,
        template -> Text,
        to_email -> Text,
        to_email_norm -> Text,
        to_name -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        link_kind -> Nullable<Text>,
        link_prefix -> Nullable<Text>,
        sealed_token -> Nullable<Text>,
        token_id -> Nullable<Int8>,
        token_expires_at -> Nullable<Timestamp>,
        manager_id -> Nullable<Int8>,
        order_id -> Nullable<Int8>,
        message_id -> Text,
        status -> Text,
        attempts -> Int4,
        last_error -> Nullable<Text>,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        claimed_by -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
        license_user_id -> Nullable<Int8>,
    }
}

diesel::table! {
    product_custom_fields (id) {
        id -> Int8,
        product_id -> Int8,
        name -> Text,
        default_value -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    product_features (id) {
        id -> Int8,
        product_id -> Int8,
        code -> Text,
        name -> Text,
        kind -> Text,
        max_consumption -> Nullable<Int8>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    products (id) {
        id -> Int8,
        name -> Text,
        name_norm -> Text,
        code -> Text,
        code_norm -> Text,
        description -> Text,
        license_type -> Text,
        max_activations -> Int8,
        validity_days -> Nullable<Int8>,
        maintenance_days -> Nullable<Int8>,
        trial_days -> Int8,
        floating_seats -> Int8,
        borrow_limit_hours -> Int8,
        is_bundle -> Bool,
        archived_at -> Nullable<Timestamp>,
        metadata -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        max_license_users -> Int8,
        max_transfers -> Nullable<Int8>,
        offline_days -> Int8,
        activations_per_hour -> Nullable<Int8>,
        deactivations_per_30_days -> Nullable<Int8>,
        lease_minutes -> Int8,
        trials_per_day -> Nullable<Int8>,
        trial_order_id -> Nullable<Int8>,
        license_file_days -> Int8,
    }
}

diesel::table! {
    sessions (id) {
        id -> Int8,
        token_hash -> Text,
        kind -> Text,
        user_id -> Int8,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    signing_keys (id) {
        id -> Int8,
        kid -> Text,
        public_key -> Text,
        sealed_private -> Text,
        state -> Text,
        created_at -> Timestamp,
        state_changed_at -> Timestamp,
    }
}

diesel::table! {
    staff_users (id) {
        id -> Int8,
        email -> Text,
        email_norm -> Text,
        name -> Text,
        password_hash -> Nullable<Text>,
        role -> Text,
        active -> Bool,
        last_sign_in_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        license_columns -> Text,
    }
}

diesel::table! {
    tokens (id) {
        id -> Int8,
        purpose -> Text,
        owner_kind -> Text,
        owner_id -> Int8,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        ended -> Text,
    }
}

diesel::table! {
    trial_records (id) {
        id -> Int8,
        product_id -> Int8,
        hardware_id -> Text,
        license_id -> Nullable<Int8>,
        address -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    license_usage_days (license_id, day) {
        license_id -> Int8,
        day -> Date,
        activations -> Int8,
        deactivations -> Int8,
        consumption -> Int8,
        peak_seats -> Int8,
        refused_checkouts -> Int8,
        refused_borrows -> Int8,
    }
}

diesel::table! {
    product_usage_days (product_id, day) {
        product_id -> Int8,
        day -> Date,
        activations -> Int8,
        deactivations -> Int8,
        checks -> Int8,
        consumption -> Int8,
        peak_seats -> Int8,
        refused_checkouts -> Int8,
        refused_borrows -> Int8,
    }
}

diesel::joinable!(consumption_events -> licenses (license_id));
diesel::joinable!(customer_labels -> customers (customer_id));
diesel::joinable!(customer_words -> customers (customer_id));
diesel::joinable!(licenses -> imports (import_id));
diesel::joinable!(license_usage_days -> licenses (license_id));
diesel::joinable!(product_usage_days -> products (product_id));
diesel::joinable!(trial_records -> licenses (license_id));
diesel::joinable!(trial_records -> products (product_id));
diesel::joinable!(customer_labels -> labels (label_id));
diesel::joinable!(customers -> customer_accounts (customer_account_id));
diesel::joinable!(device_variables -> devices (device_id));
diesel::joinable!(devices -> license_users (license_user_id));
diesel::joinable!(devices -> licenses (license_id));
diesel::joinable!(grant_products -> manager_grants (grant_id));
diesel::joinable!(grant_products -> products (product_id));
diesel::joinable!(license_check_counts -> licenses (license_id));
diesel::joinable!(license_custom_fields -> licenses (license_id));
diesel::joinable!(license_events -> devices (device_id));
diesel::joinable!(license_events -> licenses (license_id));
diesel::joinable!(license_features -> licenses (license_id));
diesel::joinable!(license_user_assignments -> license_users (license_user_id));
diesel::joinable!(license_user_assignments -> licenses (license_id));
diesel::joinable!(import_customer_labels -> imports (import_id));
diesel::joinable!(import_files -> imports (import_id));
diesel::joinable!(import_customer_rows -> imports (import_id));
diesel::joinable!(import_license_orders -> imports (import_id));
diesel::joinable!(import_license_rows -> imports (import_id));
diesel::joinable!(import_problems -> imports (import_id));
diesel::joinable!(license_users -> orders (order_id));
diesel::joinable!(licenses -> orders (order_id));
diesel::joinable!(licenses -> products (product_id));
diesel::joinable!(manager_grants -> license_managers (manager_id));
diesel::joinable!(manager_grants -> orders (order_id));
diesel::joinable!(orders -> customers (customer_id));
diesel::joinable!(product_custom_fields -> products (product_id));
diesel::joinable!(product_features -> products (product_id));

diesel::allow_tables_to_appear_in_same_query!(
    audit_log,
    bundle_items,
    consumption_events,
    customer_accounts,
    customer_labels,
    customer_words,
    customers,
    device_variables,
    devices,
    grant_products,
    import_customer_labels,
    import_customer_rows,
    import_files,
    import_license_orders,
    import_license_rows,
    import_problems,
    imports,
    labels,
    license_check_counts,
    license_custom_fields,
    license_events,
    license_features,
    license_managers,
    license_user_assignments,
    license_usage_days,
    license_users,
    licenses,
    login_attempts,
    manager_grants,
    orders,
    outbox,
    product_custom_fields,
    product_features,
    product_usage_days,
    products,
    sessions,
    settings,
    signing_keys,
    staff_users,
    tokens,
    trial_records,
);
