-- The tier snapshot becomes the rollup that report.customer_tier reads: ranking every customer of
-- a unit by a year's margin is a running sum over all of them (about a second at half a million
-- customers with sales), too slow for a report that pages. The snapshot keeps the figures the
-- report shows, and an index hands them over best first. It is a cache of
-- report.customer_tiers(year): emptied here, refilled by crm.refresh_customer_tiers.
set local role crm_owner;

truncate crm.customer_tier_snapshot;

alter table crm.customer_tier_snapshot
    add column basis_gross_margin numeric not null,
    add column share_before       numeric;

create index customer_tier_snapshot_rank on crm.customer_tier_snapshot (tenant_id, year, basis_gross_margin desc, customer_id desc);

grant update on crm.customer_tier_snapshot to crm_unit;
create policy "unit users refresh their own tier snapshot in place" on crm.customer_tier_snapshot for update to crm_unit
    using (tenant_id = (select crm.current_tenant())) with check (tenant_id = (select crm.current_tenant()));

comment on table crm.customer_tier_snapshot is 'Customer tiers per year as report.customer_tiers(year) computed them at refreshed_at; kept by crm.refresh_customer_tiers (the scheduled job, hourly by default) and read by report.customer_tier, the caller lookup and the visit rule.';
