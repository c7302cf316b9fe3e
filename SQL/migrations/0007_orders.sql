-- Orders with the price and cost of the day, their status history, invoices and payments, and a
-- per-customer-month rollup of sales kept by triggers so profit reports never scan order lines.
-- Sales are orders in status confirmed, shipped or delivered; quoted, cancelled and returned
-- orders are not in the rollup (a status change moves an order's lines in or out).
set local role crm_owner;

create table crm.sales_order (
    tenant_id       uuid        not null references crm.tenant (id),
    id              bigint      generated always as identity,
    customer_id     bigint      not null,
    staff_id        bigint,
    campaign_id     bigint,                 -- campaigns arrive with their own migration
    partner_id      uuid        references crm.partner (id),
    status          text        not null default 'confirmed'
        check (status in ('quoted', 'confirmed', 'shipped', 'delivered', 'cancelled', 'returned')),
    ordered_at      timestamptz not null default now(),
    note            text,
    idempotency_key text,
    version         int         not null default 1,
    created_at      timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id),
    foreign key (tenant_id, staff_id) references crm.staff (tenant_id, id),
    unique (tenant_id, idempotency_key)
);

create table crm.order_line (
    tenant_id  uuid          not null,
    order_id   bigint        not null,
    line_no    int           not null,
    product_id bigint        not null,
    quantity   numeric(12,3) not null check (quantity > 0),
    unit_price numeric(12,2) not null check (unit_price >= 0),
    unit_cost  numeric(12,2) not null check (unit_cost >= 0),
    primary key (tenant_id, order_id, line_no),
    foreign key (tenant_id, order_id) references crm.sales_order (tenant_id, id),
    foreign key (tenant_id, product_id) references crm.product (tenant_id, id)
);

create table crm.order_status_history (
    tenant_id  uuid        not null,
    id         bigint      generated always as identity,
    order_id   bigint      not null,
    status     text        not null,
    at         timestamptz not null default now(),
    by_principal uuid,
    primary key (tenant_id, id),
    foreign key (tenant_id, order_id) references crm.sales_order (tenant_id, id)
);

create table crm.invoice (
    tenant_id   uuid          not null,
    id          bigint        generated always as identity,
    order_id    bigint        not null,
    customer_id bigint        not null,
    amount      numeric(14,2) not null,          -- negative for a credit note (returns)
    issued_at   timestamptz   not null default now(),
    due_at      timestamptz,
    primary key (tenant_id, id),
    foreign key (tenant_id, order_id) references crm.sales_order (tenant_id, id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id)
);

create table crm.payment (
    tenant_id       uuid          not null,
    id              bigint        generated always as identity,
    customer_id     bigint        not null,
    invoice_id      bigint,
    amount          numeric(14,2) not null check (amount <> 0),
    paid_at         timestamptz   not null default now(),
    method          text,
    idempotency_key text,
    primary key (tenant_id, id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id),
    foreign key (tenant_id, invoice_id) references crm.invoice (tenant_id, id),
    unique (tenant_id, idempotency_key)
);

-- The rollup: sales per customer and month.
create table crm.customer_month_summary (
    tenant_id   uuid          not null,
    customer_id bigint        not null,
    month       date          not null,
    revenue     numeric(16,2) not null default 0,
    cost        numeric(16,2) not null default 0,
    orders      int           not null default 0,
    units       numeric(16,3) not null default 0,
    primary key (tenant_id, customer_id, month),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id)
);

create index sales_order_customer on crm.sales_order (tenant_id, customer_id, ordered_at desc);
create index sales_order_open on crm.sales_order (tenant_id, customer_id) where status in ('quoted', 'confirmed', 'shipped');
create index sales_order_campaign on crm.sales_order (tenant_id, campaign_id) where campaign_id is not null;
create index order_line_product on crm.order_line (tenant_id, product_id);
create index invoice_customer on crm.invoice (tenant_id, customer_id);
create index payment_customer on crm.payment (tenant_id, customer_id);
create index customer_month_summary_month on crm.customer_month_summary (tenant_id, month);

-- Adds (p_sign 1) or removes (-1) an order's lines to or from the rollup.
create function crm.rollup_order(p_tenant uuid, p_order bigint, p_sign int) returns void language sql as $$
    insert into crm.customer_month_summary as s (tenant_id, customer_id, month, revenue, cost, orders, units)
    select o.tenant_id, o.customer_id, date_trunc('month', o.ordered_at at time zone 'UTC')::date,
           p_sign * sum(l.quantity * l.unit_price), p_sign * sum(l.quantity * l.unit_cost), p_sign, p_sign * sum(l.quantity)
      from crm.sales_order o join crm.order_line l on l.tenant_id = o.tenant_id and l.order_id = o.id
     where o.tenant_id = p_tenant and o.id = p_order
     group by o.tenant_id, o.customer_id, o.ordered_at
    on conflict (tenant_id, customer_id, month) do update
       set revenue = s.revenue + excluded.revenue, cost = s.cost + excluded.cost,
           orders = s.orders + excluded.orders, units = s.units + excluded.units
$$;

create function crm.is_sale(p_status text) returns boolean language sql immutable
    return p_status in ('confirmed', 'shipped', 'delivered');

create function crm.order_line_rollup() returns trigger language plpgsql as $$
begin
    if crm.is_sale((select o.status from crm.sales_order o where o.tenant_id = new.tenant_id and o.id = new.order_id)) then
        insert into crm.customer_month_summary as s (tenant_id, customer_id, month, revenue, cost, orders, units)
        select o.tenant_id, o.customer_id, date_trunc('month', o.ordered_at at time zone 'UTC')::date,
               new.quantity * new.unit_price, new.quantity * new.unit_cost, case when new.line_no = 1 then 1 else 0 end, new.quantity
          from crm.sales_order o where o.tenant_id = new.tenant_id and o.id = new.order_id
        on conflict (tenant_id, customer_id, month) do update
           set revenue = s.revenue + excluded.revenue, cost = s.cost + excluded.cost,
               orders = s.orders + excluded.orders, units = s.units + excluded.units;
    end if;
    return null;
end $$;

create function crm.order_status_rollup() returns trigger language plpgsql as $$
begin
    if crm.is_sale(old.status) and not crm.is_sale(new.status) then
        perform crm.rollup_order(new.tenant_id, new.id, -1);
    elsif not crm.is_sale(old.status) and crm.is_sale(new.status) then
        perform crm.rollup_order(new.tenant_id, new.id, 1);
    end if;
    return null;
end $$;

create trigger order_line_rollup after insert on crm.order_line for each row execute function crm.order_line_rollup();
create trigger order_status_rollup after update of status on crm.sales_order for each row execute function crm.order_status_rollup();

alter table crm.sales_order enable row level security;
alter table crm.sales_order force row level security;
alter table crm.order_line enable row level security;
alter table crm.order_line force row level security;
alter table crm.order_status_history enable row level security;
alter table crm.order_status_history force row level security;
alter table crm.invoice enable row level security;
alter table crm.invoice force row level security;
alter table crm.payment enable row level security;
alter table crm.payment force row level security;
alter table crm.customer_month_summary enable row level security;
alter table crm.customer_month_summary force row level security;

grant select, insert, update (status, version, note, customer_id) on crm.sales_order to crm_unit;
grant select, insert on crm.order_line, crm.order_status_history, crm.invoice, crm.payment to crm_unit;
-- customers.merge moves invoices and payments to the kept customer.
grant update (customer_id) on crm.invoice, crm.payment to crm_unit;
grant select, insert, update on crm.customer_month_summary to crm_unit;
grant select on crm.sales_order, crm.order_line, crm.order_status_history, crm.invoice, crm.payment,
    crm.customer_month_summary to crm_reporter;

-- The unit's own rows, for each table of this file: read, add, change (where granted); and the
-- reporter's read of every unit or the one it chose.
do $$
declare
    t record;
begin
    for t in select * from (values ('sales_order', 'orders', true), ('order_line', 'order lines', false),
                                   ('order_status_history', 'order history', false), ('invoice', 'invoices', true),
                                   ('payment', 'payments', true), ('customer_month_summary', 'sales rollup', true)) as v(tab, label, updatable) loop
        execute format('create policy %I on crm.%I for select to crm_unit using (tenant_id = (select crm.current_tenant()))',
                       'unit users see their own ' || t.label, t.tab);
        execute format('create policy %I on crm.%I for insert to crm_unit with check (tenant_id = (select crm.current_tenant()))',
                       'unit users add ' || t.label || ' to their own unit', t.tab);
        if t.updatable then
            execute format('create policy %I on crm.%I for update to crm_unit using (tenant_id = (select crm.current_tenant())) '
                           'with check (tenant_id = (select crm.current_tenant()))', 'unit users change their own ' || t.label, t.tab);
        end if;
        execute format('create policy %I on crm.%I for select to crm_reporter '
                       'using ((select crm.current_tenant()) is null or tenant_id = (select crm.current_tenant()))',
                       'reporters see every unit''s ' || t.label || ', or the unit they chose', t.tab);
    end loop;
end $$;

create policy "unit users see the orders of customers shared with them" on crm.sales_order for select to crm_unit
    using (crm.is_shared_customer(tenant_id, customer_id));
create policy "unit users see the lines of shared orders they can see" on crm.order_line for select to crm_unit
    using (tenant_id <> (select crm.current_tenant())
           and exists (select 1 from crm.sales_order o where o.tenant_id = order_line.tenant_id and o.id = order_line.order_id));
