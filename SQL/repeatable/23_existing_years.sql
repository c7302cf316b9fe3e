-- The yearly existing-against-new summary (crm.existing_year_summary, 0061): what each statement
-- that changes the yearly rollup (crm.customer_year_summary) changed in a unit's year and class,
-- as one delta row per unit, year and class: the customers with a sale there (rows with
-- orders > 0), their revenue and cost; the rows it removed or left without a sale counted out,
-- those it made or gave a sale counted in. The monthly summary's rule (23_existing_months.sql) on
-- the yearly rollup, from the statement's transition tables, so every writer is followed: orders
-- and their lines, a status change, an import, a merge, `existing` moved by a back-dated first
-- sale. A write of one order adds one row (its customer's year); an update that changes none of
-- the three (the year before's margin written onto the row, 0059) adds none.
set local role crm_owner;

create or replace function crm.existing_year_statement() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        insert into crm.existing_year_summary (tenant_id, year, existing, customers, revenue, cost)
        select n.tenant_id, n.year, n.existing, count(*), sum(n.revenue), sum(n.cost)
          from new_years n where n.orders > 0
         group by 1, 2, 3;
    elsif tg_op = 'DELETE' then
        insert into crm.existing_year_summary (tenant_id, year, existing, customers, revenue, cost)
        select o.tenant_id, o.year, o.existing, -count(*), -sum(o.revenue), -sum(o.cost)
          from old_years o where o.orders > 0
         group by 1, 2, 3;
    else
        insert into crm.existing_year_summary (tenant_id, year, existing, customers, revenue, cost)
        select d.tenant_id, d.year, d.existing, sum(d.customers), sum(d.revenue), sum(d.cost)
          from (select n.tenant_id, n.year, n.existing, 1 as customers, n.revenue, n.cost from new_years n where n.orders > 0
                union all
                select o.tenant_id, o.year, o.existing, -1, -o.revenue, -o.cost from old_years o where o.orders > 0) d
         group by 1, 2, 3
        having sum(d.customers) <> 0 or sum(d.revenue) <> 0 or sum(d.cost) <> 0;
    end if;
    return null;
end $$;
grant execute on function crm.existing_year_statement() to crm_unit;

create or replace trigger existing_year_insert after insert on crm.customer_year_summary
    referencing new table as new_years for each statement execute function crm.existing_year_statement();
create or replace trigger existing_year_update after update on crm.customer_year_summary
    referencing old table as old_years new table as new_years for each statement execute function crm.existing_year_statement();
create or replace trigger existing_year_delete after delete on crm.customer_year_summary
    referencing old table as old_years for each statement execute function crm.existing_year_statement();
