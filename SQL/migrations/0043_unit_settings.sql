-- Issue 18: a unit's managers and directors change the unit's settings through the protocol
-- (settings.update, crm.update_settings in SQL/repeatable/12_unit_settings.sql). The function is
-- security invoker: it writes crm.tenant.settings as crm_unit, so the unit role may update that
-- one column of its own unit's row, and only when the request's app role is a manager's or a
-- director's (the setting crm.app_role read directly: crm.current_app_role is defined in a
-- repeatable file, after the migrations). Nothing else of crm.tenant, and no other unit's row, is
-- writable by a unit.
set local role crm_owner;

grant update (settings) on crm.tenant to crm_unit;
create policy "unit managers and directors change their own unit's settings" on crm.tenant for update to crm_unit
    using (id = (select crm.current_tenant()) and (select current_setting('crm.app_role', true)) in ('manager', 'director'))
    with check (id = (select crm.current_tenant()));

comment on column crm.tenant.settings is
    'The unit''s settings (country code, SLA hours per priority, tier thresholds, holidays, task-rule days, campaign approval roles, CRM ROI inputs, deal conflict window, lead offer hours): read by crm.settings_json(), changed by crm.update_settings(jsonb), which SQL/repeatable/12_unit_settings.sql documents key by key with each reader and default.';
