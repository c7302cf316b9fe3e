-- Refreshes the caller's unit's tier snapshot for a year (default: this year). Run by the
-- scheduled job before the task rules; returns the number of customers tiered.
set local role crm_owner;

create or replace function crm.refresh_customer_tiers(p_year int default extract(year from now())::int) returns int
    language plpgsql as $$
declare
    n int;
begin
    delete from crm.customer_tier_snapshot where tenant_id = crm.current_tenant() and year = p_year;
    insert into crm.customer_tier_snapshot (tenant_id, customer_id, year, tier, previous_tier)
    select crm.current_tenant(), r.customer_id, r.year, r.tier, r.previous_tier
      from report.customer_tier r where r.year = p_year;
    get diagnostics n = row_count;
    return n;
end $$;

grant execute on function crm.refresh_customer_tiers(int) to crm_unit;
