-- Refreshes the caller's unit's tier snapshot for a year (default: this year) from the live
-- ranking report.customer_tiers. Rows whose figures did not change are left alone (an hourly
-- refresh of a large unit rewrites only what moved); customers no longer ranked are removed.
-- Returns the number of customers tiered. Run by the scheduled job before the task rules.
set local role crm_owner;

create or replace function crm.refresh_customer_tiers(p_year int default extract(year from now())::int) returns int
    language sql as $$
    with fresh as materialized (
        select r.customer_id, r.basis_gross_margin, r.share_before, r.tier, r.previous_tier
          from report.customer_tiers(p_year) r
         where r.tenant = (select t.slug from crm.tenant t where t.id = crm.current_tenant())),
    -- EXCEPT is always a hash or sort: NOT EXISTS against the CTE became a nested loop (80,000
    -- squared, minutes) whenever the snapshot had no statistics yet, as after a bulk load.
    gone as (
        delete from crm.customer_tier_snapshot s
         using (select x.customer_id from crm.customer_tier_snapshot x
                 where x.tenant_id = crm.current_tenant() and x.year = p_year
                except
                select f.customer_id from fresh f) g
         where s.tenant_id = crm.current_tenant() and s.year = p_year and s.customer_id = g.customer_id),
    kept as (
        insert into crm.customer_tier_snapshot as s (tenant_id, customer_id, year, tier, previous_tier, basis_gross_margin, share_before)
        select crm.current_tenant(), f.customer_id, p_year, f.tier, f.previous_tier, f.basis_gross_margin, f.share_before
          from fresh f
        on conflict (tenant_id, customer_id, year) do update
           set tier = excluded.tier, previous_tier = excluded.previous_tier, basis_gross_margin = excluded.basis_gross_margin,
               share_before = excluded.share_before, refreshed_at = now()
         where (s.tier, s.previous_tier, s.basis_gross_margin, s.share_before)
               is distinct from (excluded.tier, excluded.previous_tier, excluded.basis_gross_margin, excluded.share_before))
    select count(*)::int from fresh
$$;

comment on function crm.refresh_customer_tiers(int) is 'Recomputes the caller''s unit''s customer tiers for a year (default: this year) into crm.customer_tier_snapshot, which report.customer_tier shows; returns the number of customers tiered.';

-- For reports.customer_tiers: a year the unit never refreshed is computed on first read.
create or replace function crm.ensure_customer_tiers(p_year int) returns void language plpgsql as $$
begin
    if not exists (select 1 from crm.customer_tier_snapshot s where s.tenant_id = crm.current_tenant() and s.year = p_year) then
        perform crm.refresh_customer_tiers(p_year);
    end if;
end $$;

grant execute on function crm.refresh_customer_tiers(int), crm.ensure_customer_tiers(int) to crm_unit;
