-- RFM read from a kept summary (issue 16: at 1,000,000 customers report.customer_rfm read every
-- order line of the unit, 13.5 s). One row per customer with a sale: its first and last purchase
-- day (UTC), the number of days with a purchase, the sum of its sales and the sum on its first
-- purchase day; what report.rfm needs for every customer whose purchases all lie on or before the
-- as-of day, by day (frequency = days - 1, recency = last - first, T = as-of - first, monetary
-- value = (revenue - first-day revenue) / (days - 1)). Kept by the order triggers through
-- crm.refresh_customer_rfm (SQL/repeatable/23_rollup_triggers.sql), which recomputes a touched
-- customer from its orders, so cancellations, returns and merges stay exact.
set local role crm_owner;

create table crm.customer_rfm_summary (
    tenant_id     uuid    not null,
    customer_id   bigint  not null,
    first_day     date    not null,
    last_day      date    not null,
    days          int     not null check (days >= 1),
    revenue       numeric not null,
    first_revenue numeric not null,
    primary key (tenant_id, customer_id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id)
);
-- report.rfm reads customers with a purchase after the as-of day from the orders: found here.
create index customer_rfm_summary_last on crm.customer_rfm_summary (tenant_id, last_day);
comment on table crm.customer_rfm_summary is 'Per customer with a sale: first and last purchase day (UTC), days with a purchase, sales and first-day sales (unrounded sums of quantity x unit price of sale orders); kept by the order triggers (crm.refresh_customer_rfm), read by report.rfm.';
comment on column crm.customer_rfm_summary.days is 'Days with at least one sale (an order confirmed, shipped or delivered, with lines).';
comment on column crm.customer_rfm_summary.first_revenue is 'Sales on the first purchase day: report.rfm''s monetary value leaves the first purchase out.';

grant select, insert, update, delete on crm.customer_rfm_summary to crm_unit;
grant select on crm.customer_rfm_summary to crm_reporter;
select crm.add_unit_policies('crm.customer_rfm_summary', 'RFM summary', true);
create policy "unit users delete their own RFM summary rows" on crm.customer_rfm_summary for delete to crm_unit
    using (tenant_id = (select crm.current_tenant()));
-- A unit reads the summary of customers shared with it, as it reads their orders (0009).
create policy "unit users see the RFM summary of customers shared with them" on crm.customer_rfm_summary
    for select to crm_unit, crm_viewer
    using (tenant_id = any (array(select s.tenant_id from crm.customer_share s
                                   where s.shared_with = (select crm.current_tenant()) and s.revoked_at is null
                                     and s.customer_id is null))
           or (tenant_id, customer_id) in (select s.tenant_id, s.customer_id from crm.customer_share s
                                            where s.shared_with = (select crm.current_tenant()) and s.revoked_at is null
                                              and s.customer_id is not null));

-- Existing orders, with the force lifted for this transaction (no policy is crm_owner's).
alter table crm.sales_order no force row level security;
alter table crm.order_line no force row level security;
alter table crm.customer_rfm_summary no force row level security;
insert into crm.customer_rfm_summary (tenant_id, customer_id, first_day, last_day, days, revenue, first_revenue)
select d.tenant_id, d.customer_id, min(d.day), max(d.day), count(*), sum(d.value), (array_agg(d.value order by d.day))[1]
  from (select o.tenant_id, o.customer_id, (o.ordered_at at time zone 'UTC')::date as day, sum(l.quantity * l.unit_price) as value
          from crm.sales_order o join crm.order_line l on l.tenant_id = o.tenant_id and l.order_id = o.id
         where o.status in ('confirmed', 'shipped', 'delivered')
         group by 1, 2, 3) d
 group by 1, 2;
alter table crm.sales_order force row level security;
alter table crm.order_line force row level security;
alter table crm.customer_rfm_summary force row level security;
