-- The yearly sales rollup: one row per customer and year, kept from the monthly rollup by a
-- trigger, so the yearly profit report and the customer tiers read one row per customer instead
-- of twelve (and never the order lines). gross_margin is stored so that an index can hand the
-- report its customers best first.
set local role crm_owner;

create table crm.customer_year_summary (
    tenant_id    uuid          not null,
    customer_id  bigint        not null,
    year         int           not null,
    revenue      numeric(16,2) not null default 0,
    cost         numeric(16,2) not null default 0,
    orders       int           not null default 0,
    units        numeric(16,3) not null default 0,
    gross_margin numeric       generated always as (revenue - cost) stored,
    primary key (tenant_id, customer_id, year),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id)
);

create index customer_year_summary_rank on crm.customer_year_summary (tenant_id, year, gross_margin desc, customer_id desc);

-- Adds a change of the monthly rollup to the yearly one (for an update, the difference).
create function crm.customer_year_rollup() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE' and (old.tenant_id, old.customer_id, date_part('year', old.month))
                           is distinct from (new.tenant_id, new.customer_id, date_part('year', new.month)) then
        raise exception 'the monthly rollup''s keys do not change' using errcode = '55000';
    end if;
    if tg_op = 'DELETE' then
        update crm.customer_year_summary
           set revenue = revenue - old.revenue, cost = cost - old.cost, orders = orders - old.orders, units = units - old.units
         where tenant_id = old.tenant_id and customer_id = old.customer_id and year = date_part('year', old.month)::int;
        return null;
    end if;
    insert into crm.customer_year_summary as s (tenant_id, customer_id, year, revenue, cost, orders, units)
    values (new.tenant_id, new.customer_id, date_part('year', new.month)::int,
            new.revenue - coalesce(old.revenue, 0), new.cost - coalesce(old.cost, 0),
            new.orders - coalesce(old.orders, 0), new.units - coalesce(old.units, 0))
    on conflict (tenant_id, customer_id, year) do update
       set revenue = s.revenue + excluded.revenue, cost = s.cost + excluded.cost,
           orders = s.orders + excluded.orders, units = s.units + excluded.units;
    return null;
end $$;

create trigger customer_year_rollup after insert or update or delete on crm.customer_month_summary
    for each row execute function crm.customer_year_rollup();

-- The rows so far. Row-level security is forced on the owner too, and no policy is the owner's:
-- lift the force for this transaction (the ALTER locks the tables until commit), then restore it.
alter table crm.customer_month_summary no force row level security;
insert into crm.customer_year_summary (tenant_id, customer_id, year, revenue, cost, orders, units)
select tenant_id, customer_id, date_part('year', month)::int, sum(revenue), sum(cost), sum(orders), sum(units)
  from crm.customer_month_summary
 group by 1, 2, 3;
alter table crm.customer_month_summary force row level security;

grant select, insert, update on crm.customer_year_summary to crm_unit;
grant select on crm.customer_year_summary to crm_reporter;
select crm.add_unit_policies('crm.customer_year_summary', 'yearly sales rollup', true);

comment on table crm.customer_year_summary is 'Sales per customer and calendar year (UTC), kept from crm.customer_month_summary by a trigger.';
