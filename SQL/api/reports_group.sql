-- reports.group_customer_value (Sources/CRMServer/Methods/Reports+Group.swift declares it): the
-- group view of the units that share customers, for the caller's unit (39_reports_group.sql),
-- one page by customer id.
set local role crm_owner;

create or replace function api.reports_group_customer_value(after bigint, lim int) returns table (key text, json text)
    language plpgsql stable as $$
begin
    return query
    select r.customer_id::text, (to_jsonb(r) || jsonb_build_object('customer_id', r.customer_id::text))::text
      from report.group_customer_value(after, lim) r
     order by r.customer_id;
end $$;

grant execute on function api.reports_group_customer_value(bigint, int) to crm_unit, crm_viewer;
