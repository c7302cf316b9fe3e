-- A unit's settings (issue 18): crm.settings_json and crm.update_settings as settings.get and
-- settings.update call them. Every validation error with the setting it names and why; the
-- change written where each reader reads it and audited; managers and directors only; another
-- unit's settings neither readable nor changed.
begin;
select plan(43);

insert into crm.tenant (id, slug, name, settings) values
    ('00000000-0000-0000-0000-0000000021a1', 'set-a', 'A', '{}'),
    ('00000000-0000-0000-0000-0000000021a2', 'set-b', 'B', '{"default_country_code": "44", "lead_offer_hours": 12}');

-- The error of an update as "field: reason" (the detail and the hint the server maps to
-- error.data.field and .reason), or 'ok'.
create function pg_temp.settings_error(p jsonb) returns text language plpgsql as $$
declare
    v_detail text;
    v_hint text;
    v_state text;
begin
    perform crm.update_settings(p);
    return 'ok';
exception when others then
    get stacked diagnostics v_detail = pg_exception_detail, v_hint = pg_exception_hint, v_state = returned_sqlstate;
    return v_state || ' ' || coalesce(substr(v_detail, 7), '-') || ': ' || coalesce(v_hint, '-');
end $$;
grant execute on function pg_temp.settings_error(jsonb) to crm_unit;

set local role crm_unit;
select set_config('crm.tenant', 'set-a', true);
select set_config('crm.app_role', 'manager', true);

-- Defaults ----------------------------------------------------------------------------------------
select is(crm.settings_json()::jsonb->'default_country_code', '"49"', 'a unit that set nothing: country code 49');
select is(crm.settings_json()::jsonb->'sla_hours', '{"urgent": 4, "high": 24, "normal": 72, "low": 168}', 'default SLA hours per priority');
select is(crm.settings_json()::jsonb->'lead_offer_hours', '48', 'default lead offer hours');

-- Each validation error ---------------------------------------------------------------------------
select is(pg_temp.settings_error('{"colour": "red"}'), 'CR422 colour: is not a unit setting', 'an unknown setting');
select is(pg_temp.settings_error('{"default_country_code": "999"}'),
    'CR422 default_country_code: must be a country calling code with numbering rules (crm.phone_numbering: 1, 44, 49, ...)',
    'a country code without numbering rules');
select is(pg_temp.settings_error('{"default_country_code": "abc"}'),
    'CR422 default_country_code: must be a country calling code with numbering rules (crm.phone_numbering: 1, 44, 49, ...)',
    'a country code that is no number');
select is(pg_temp.settings_error('{"sla_hours": 4}'), 'CR422 sla_hours: must be an object of urgent, high, normal, low', 'SLA hours not an object');
select is(pg_temp.settings_error('{"sla_hours": {"complaint": 4}}'),
    'CR422 sla_hours.complaint: is not a member of sla_hours (one of urgent, high, normal, low)', 'SLA hours of an unknown priority');
select is(pg_temp.settings_error('{"sla_hours": {"urgent": 0}}'), 'CR422 sla_hours.urgent: must be between 0.25 and 8760', 'SLA hours of 0');
select is(pg_temp.settings_error('{"sla_hours": {"urgent": "4"}}'), 'CR422 sla_hours.urgent: must be a number', 'SLA hours as a string');
select is(pg_temp.settings_error('{"customer_tiers": {"A": 1.5}}'), 'CR422 customer_tiers.A: must be between 0.01 and 1', 'a customer tier share above 1');
select is(pg_temp.settings_error('{"customer_tiers": {"A": 0.9}}'),
    'CR422 customer_tiers.A: customer_tiers.A (the share of the margin of tier A) must be below customer_tiers.B', 'tier A at or above tier B (default 0.8)');
select is(pg_temp.settings_error('{"product_tiers": {"A": 0.3, "B": 0.35}}'),
    'CR422 product_tiers.B: product_tiers.A (the lowest margin rate of tier A) must be above product_tiers.B', 'product tier B above A');
select is(pg_temp.settings_error('{"commission_rates": {"D": 0.1}}'),
    'CR422 commission_rates.D: is not a member of commission_rates (one of A, B, C)', 'a commission rate of an unknown tier');
select is(pg_temp.settings_error('{"commission_rates": {"A": 0.12345}}'), 'CR422 commission_rates.A: has more than 4 decimals', 'a commission rate too precise');
select is(pg_temp.settings_error('{"commission_rates": {"A": -0.1}}'), 'CR422 commission_rates.A: must be between 0 and 1', 'a negative commission rate');
select is(pg_temp.settings_error('{"holidays": "2026-12-25"}'),
    'CR422 holidays: must be a list of dates ("YYYY-MM-DD", or {"date": ..., "name": ...})', 'holidays not a list');
select is(pg_temp.settings_error('{"holidays": ["2026-02-30"]}'), 'CR422 holidays[0].date: must be a date, YYYY-MM-DD (2000 to 2199)', 'a day that does not exist');
select is(pg_temp.settings_error('{"holidays": ["2026-12-25", {"date": "2026-12-25", "name": "again"}]}'),
    'CR422 holidays[1].date: appears twice', 'a holiday twice');
select is(pg_temp.settings_error('{"holidays": [{"date": "2026-12-25", "colour": "red"}]}'),
    'CR422 holidays[0].colour: is not a member of a holiday (date, name)', 'a holiday with an unknown member');
select is(pg_temp.settings_error('{"campaign_approvals": {"design": []}}'),
    'CR422 campaign_approvals.design: must be a list of roles (manager, director, agent, marketing, designer)', 'no approving role');
select is(pg_temp.settings_error('{"campaign_approvals": {"budget": ["director", "viewer"]}}'),
    'CR422 campaign_approvals.budget[1]: must be one of the roles manager, director, agent, marketing, designer', 'a viewer cannot approve');
select is(pg_temp.settings_error('{"crm_roi": {"success_rate": 2}}'), 'CR422 crm_roi.success_rate: must be between 0 and 1', 'a success rate above 1');
select is(pg_temp.settings_error('{"crm_roi": {"staff_per_customer": -1}}'), 'CR422 crm_roi.staff_per_customer: must be between 0 and 1000000000', 'a negative cost');
select is(pg_temp.settings_error('{"deal_conflict_days": 0}'), 'CR422 deal_conflict_days: must be between 1 and 3650', 'a deal conflict window of 0 days');
select is(pg_temp.settings_error('{"lead_offer_hours": 1.5}'), 'CR422 lead_offer_hours: must be a whole number', 'lead offer hours not whole');
select is(pg_temp.settings_error('{"care_call_days": "30"}'), 'CR422 care_call_days: must be a whole number', 'care call days as a string');
select is((select settings from crm.tenant where slug = 'set-a'), '{}', 'nothing was written by the refused updates');

-- A good update: written where the readers read, visible at once, audited ----------------------
select is(crm.update_settings('{"default_country_code": "+1", "sla_hours": {"urgent": 2}, "commission_rates": {"A": 0.05},
                                "holidays": ["2026-12-25", {"date": "2026-01-01", "name": "New year"}], "lead_offer_hours": 24,
                                "campaign_approvals": {"budget": ["director", "manager"]}, "customer_tiers": {"A": 0.6}}')::jsonb
          - 'crm_roi' - 'product_tiers' - 'care_call_days' - 'greeting_days_before' - 'visit_weeks_top_tier' - 'deal_conflict_days'
          - 'event_retention_days',
    '{"default_country_code": "1", "sla_hours": {"urgent": 2, "high": 24, "normal": 72, "low": 168},
      "commission_rates": {"A": 0.05, "B": 0, "C": 0},
      "holidays": [{"date": "2026-01-01", "name": "New year"}, {"date": "2026-12-25", "name": "holiday"}],
      "lead_offer_hours": 24, "campaign_approvals": {"design": ["manager"], "budget": ["director", "manager"]},
      "customer_tiers": {"A": 0.6, "B": 0.8}}',
    'the settings in force after the update');
select is(crm.unit_country_code(), '1', 'the country code is the one lookups use');
select is(crm.normalize_unit_phone('415-555-0134'), '+14155550134', 'and numbers are read the new country''s way');
select is(crm.lead_offer_hours(), 24, 'lead offers read the new hours');
select is(crm.campaign_approvers('budget'), array['director', 'manager'], 'campaign approvals read the new roles');
select is((select rate from crm.commission_rate where tier = 'A'), 0.0500::numeric(5,4), 'the commission rate is in crm.commission_rate');
select is((select detail->'changed'->'lead_offer_hours' from crm.audit_log where entity = 'settings' and action = 'update'),
    '{"from": null, "to": 24}', 'the change is audited, each setting from and to');
select lives_ok($$select crm.update_settings('{"sla_hours": null, "lead_offer_hours": null}')$$, 'null sets a setting back to its default');
select is(crm.settings_json()::jsonb->'sla_hours'->'urgent', '4', 'SLA hours are the defaults again');

-- Only managers and directors; another unit neither read nor changed ------------------------------
select set_config('crm.app_role', 'agent', true);
select throws_ok($$select crm.update_settings('{"lead_offer_hours": 1}')$$, 'CR403', null, 'an agent cannot change settings');
select is((select count(*)::int from crm.tenant where slug = 'set-b'), 0, 'unit A cannot read unit B''s settings');
with u as (update crm.tenant set settings = '{}' where slug = 'set-a' returning 1)
select is((select count(*)::int from u), 0, 'an agent cannot write the unit''s settings directly either');
select set_config('crm.app_role', 'manager', true);
with u as (update crm.tenant set settings = '{}' where slug = 'set-b' returning 1)
select is((select count(*)::int from u), 0, 'a manager of A cannot write B''s settings directly');
reset role;
select ok(not has_column_privilege('crm_viewer', 'crm.tenant', 'settings', 'UPDATE'), 'viewers cannot write settings');
select is((select settings from crm.tenant where slug = 'set-b'), '{"default_country_code": "44", "lead_offer_hours": 12}',
    'unit B''s settings are untouched');

select * from finish();
rollback;
