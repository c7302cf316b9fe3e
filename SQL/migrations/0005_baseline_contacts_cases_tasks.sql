-- Baseline: every contact with a customer (with what it cost and any prices quoted) and the call
-- centre's inbound call records; service cases (complaints, quality problems, replacements,
-- refunds and questions) with an SLA due time from the unit's settings (sla_hours per priority;
-- defaults urgent 4, high 24, normal 72, low 168), status history, and the times to first response
-- and to resolution; loyalty tasks (calls, visits, greetings, care calls; rule_key keeps each rule
-- run idempotent) and survey answers for satisfaction and NPS. The functions of this area live in
-- SQL/repeatable/24_interactions_api.sql and 25_cases_tasks_api.sql.
set local role crm_owner;
-- (Their policies, the same for each table, and the shared read of contacts: 0009_baseline_unit_policies.sql.)

create sequence crm.interaction_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.interaction (
    tenant_id       uuid          not null,
    id              bigint        not null default crm.opaque_id(nextval('crm.interaction_id_seq')),
    customer_id     bigint        not null,
    channel         text          not null check (channel in ('phone', 'email', 'web', 'store', 'call_centre', 'mail', 'partner', 'visit')),
    direction       text          not null check (direction in ('inbound', 'outbound')),
    staff_id        bigint,
    outcome         text,
    summary         text,
    cost            numeric(10,2) not null default 0 check (cost >= 0),
    occurred_at     timestamptz   not null default now(),
    campaign_id     bigint,                  -- a campaign of the unit (foreign key in 0006)
    idempotency_key text,
    primary key (tenant_id, id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id),
    foreign key (tenant_id, staff_id) references crm.staff (tenant_id, id),
    unique (tenant_id, idempotency_key)
);
alter sequence crm.interaction_id_seq owned by crm.interaction.id;

-- A price quoted during a contact: the next lookup shows the last one per product.
create sequence crm.quoted_price_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.quoted_price (
    tenant_id      uuid          not null,
    id             bigint        not null default crm.opaque_id(nextval('crm.quoted_price_id_seq')),
    interaction_id bigint        not null,
    customer_id    bigint        not null,
    product_id     bigint        not null,
    price          numeric(12,2) not null check (price >= 0),
    quoted_at      timestamptz   not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, interaction_id) references crm.interaction (tenant_id, id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id),
    foreign key (tenant_id, product_id) references crm.product (tenant_id, id)
);
alter sequence crm.quoted_price_id_seq owned by crm.quoted_price.id;

create sequence crm.call_record_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.call_record (
    tenant_id        uuid        not null,
    id               bigint      not null default crm.opaque_id(nextval('crm.call_record_id_seq')),
    customer_id      bigint,
    phone            text,
    answered_by      bigint,
    wait_seconds     int         not null default 0 check (wait_seconds >= 0),
    abandoned        boolean     not null default false,
    reason           text        not null check (reason in ('question', 'complaint', 'quality', 'replacement', 'refund', 'order', 'other')),
    started_at       timestamptz not null default now(),
    duration_seconds int         not null default 0 check (duration_seconds >= 0),
    interaction_id   bigint,
    primary key (tenant_id, id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id),
    foreign key (tenant_id, answered_by) references crm.staff (tenant_id, id),
    foreign key (tenant_id, interaction_id) references crm.interaction (tenant_id, id)
);
alter sequence crm.call_record_id_seq owned by crm.call_record.id;

create index interaction_customer on crm.interaction (tenant_id, customer_id, occurred_at desc);
create index interaction_channel on crm.interaction (tenant_id, channel, occurred_at);
create index quoted_price_last on crm.quoted_price (tenant_id, customer_id, product_id, quoted_at desc);
create index call_record_day on crm.call_record (tenant_id, started_at);
create index interaction_campaign on crm.interaction (tenant_id, campaign_id) where campaign_id is not null;

alter table crm.interaction enable row level security;
alter table crm.interaction force row level security;
alter table crm.quoted_price enable row level security;
alter table crm.quoted_price force row level security;
alter table crm.call_record enable row level security;
alter table crm.call_record force row level security;

grant select, insert on crm.interaction, crm.quoted_price, crm.call_record to crm_unit;
-- customers.merge moves contacts to the kept customer.
grant update (customer_id) on crm.interaction, crm.quoted_price, crm.call_record to crm_unit;
grant select on crm.interaction, crm.quoted_price, crm.call_record to crm_reporter;
grant usage on sequence crm.interaction_id_seq, crm.quoted_price_id_seq, crm.call_record_id_seq to crm_unit;

create sequence crm.service_case_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.service_case (
    tenant_id         uuid        not null,
    id                bigint      not null default crm.opaque_id(nextval('crm.service_case_id_seq')),
    customer_id       bigint      not null,
    category          text        not null check (category in ('complaint', 'quality', 'replacement', 'refund', 'question')),
    priority          text        not null default 'normal' check (priority in ('low', 'normal', 'high', 'urgent')),
    status            text        not null default 'open' check (status in ('open', 'in_progress', 'waiting', 'resolved', 'closed')),
    subject           text        not null check (length(subject) between 1 and 300),
    description       text,
    order_id          bigint,
    product_id        bigint,
    assigned_to       bigint,
    opened_at         timestamptz not null default now(),
    sla_due_at        timestamptz not null,
    first_response_at timestamptz,
    resolved_at       timestamptz,
    resolution        text,
    version           int         not null default 1,
    primary key (tenant_id, id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id),
    foreign key (tenant_id, order_id) references crm.sales_order (tenant_id, id),
    foreign key (tenant_id, product_id) references crm.product (tenant_id, id),
    foreign key (tenant_id, assigned_to) references crm.staff (tenant_id, id)
);
alter sequence crm.service_case_id_seq owned by crm.service_case.id;

create sequence crm.case_status_history_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.case_status_history (
    tenant_id    uuid        not null,
    id           bigint      not null default crm.opaque_id(nextval('crm.case_status_history_id_seq')),
    case_id      bigint      not null,
    status       text        not null,
    at           timestamptz not null default now(),
    by_principal uuid,
    note         text,
    primary key (tenant_id, id),
    foreign key (tenant_id, case_id) references crm.service_case (tenant_id, id)
);
alter sequence crm.case_status_history_id_seq owned by crm.case_status_history.id;

create index service_case_open on crm.service_case (tenant_id, customer_id) where status not in ('resolved', 'closed');
create index service_case_due on crm.service_case (tenant_id, sla_due_at) where status not in ('resolved', 'closed');
create index case_status_history_case on crm.case_status_history (tenant_id, case_id, at);

alter table crm.service_case enable row level security;
alter table crm.service_case force row level security;
alter table crm.case_status_history enable row level security;
alter table crm.case_status_history force row level security;

grant select, insert, update on crm.service_case to crm_unit;
grant select, insert on crm.case_status_history to crm_unit;
grant select on crm.service_case, crm.case_status_history to crm_reporter;
grant usage on sequence crm.service_case_id_seq, crm.case_status_history_id_seq to crm_unit;

create sequence crm.task_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.task (
    tenant_id   uuid        not null,
    id          bigint      not null default crm.opaque_id(nextval('crm.task_id_seq')),
    kind        text        not null check (kind in ('call', 'visit', 'greeting', 'care_call', 'other')),
    customer_id bigint,
    owner_id    bigint,
    due_at      timestamptz not null,
    done_at     timestamptz,
    note        text,
    rule_key    text,                       -- set by rules: one task per rule, customer and occasion
    primary key (tenant_id, id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id),
    foreign key (tenant_id, owner_id) references crm.staff (tenant_id, id),
    unique (tenant_id, rule_key)
);
alter sequence crm.task_id_seq owned by crm.task.id;

create sequence crm.survey_response_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.survey_response (
    tenant_id       uuid        not null,
    id              bigint      not null default crm.opaque_id(nextval('crm.survey_response_id_seq')),
    customer_id     bigint      not null,
    product_id      bigint,
    service         text,
    score           int         not null check (score between 0 and 10),
    would_recommend boolean,
    comment         text,
    responded_at    timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id),
    foreign key (tenant_id, product_id) references crm.product (tenant_id, id)
);
alter sequence crm.survey_response_id_seq owned by crm.survey_response.id;

create index task_due on crm.task (tenant_id, due_at) where done_at is null;
create index task_customer on crm.task (tenant_id, customer_id) where done_at is null;
create index survey_product on crm.survey_response (tenant_id, product_id, responded_at);

alter table crm.task enable row level security;
alter table crm.task force row level security;
alter table crm.survey_response enable row level security;
alter table crm.survey_response force row level security;

grant select, insert, update (done_at, note, owner_id, due_at, customer_id) on crm.task to crm_unit;
grant select, insert on crm.survey_response to crm_unit;
grant update (customer_id) on crm.survey_response to crm_unit;
grant select on crm.task, crm.survey_response to crm_reporter;
grant usage on sequence crm.task_id_seq, crm.survey_response_id_seq to crm_unit;
