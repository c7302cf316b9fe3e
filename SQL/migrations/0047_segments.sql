-- Segments and audiences (issue [5/7]): a unit's saved, named segments of its customers, defined
-- by rules that are data (validated and compiled by SQL/repeatable/45_segments_rules.sql), their
-- size per day (taken by the scheduled job), and a campaign's audience drawn from one.
set local role crm_owner;

create sequence crm.segment_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.segment (
    tenant_id   uuid        not null references crm.tenant (id),
    id          bigint      not null default crm.opaque_id(nextval('crm.segment_id_seq')),
    name        text        not null check (length(name) between 1 and 200),
    description text        check (length(description) <= 2000),
    rules       jsonb       not null,
    task_rule   jsonb,
    version     int         not null default 1,
    created_by  uuid,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, name)
);
alter sequence crm.segment_id_seq owned by crm.segment.id;
comment on table crm.segment is 'A unit''s saved, named segment of its customers: rules over what the unit knows (crm.segment_compile checks and compiles them); audited in crm.audit_log.';
comment on column crm.segment.rules is 'The rules: {"all"|"any": [...]}, {"not": {...}} or a rule {"field", "op", "value", ...}; see README, "Segments".';
comment on column crm.segment.task_rule is 'Optional: {"kind", "channel", "every_days", "note"}: the task rules give each member who accepts the channel a task of that kind every so many days.';

create table crm.segment_size (
    tenant_id  uuid        not null,
    segment_id bigint      not null,
    day        date        not null,
    members    int         not null check (members >= 0),
    taken_at   timestamptz not null default now(),
    primary key (tenant_id, segment_id, day),
    foreign key (tenant_id, segment_id) references crm.segment (tenant_id, id) on delete cascade
);
comment on table crm.segment_size is 'A segment''s number of members, once a day (crm.snapshot_segment_sizes, run by the scheduled job).';

-- A campaign's audience: a segment of the same unit (null: none). A deleted segment leaves the
-- campaign without one.
alter table crm.campaign add column segment_id bigint;
alter table crm.campaign add constraint campaign_segment_fkey
    foreign key (tenant_id, segment_id) references crm.segment (tenant_id, id) on delete set null (segment_id);
create index campaign_segment on crm.campaign (tenant_id, segment_id) where segment_id is not null;
comment on column crm.campaign.segment_id is 'The campaign''s audience: a segment of the unit (campaigns.set_audience); its lists respect each channel''s consent.';

select crm.add_unit_policies('crm.segment', 'segments', true);
create policy "unit users delete their own segments" on crm.segment for delete to crm_unit
    using (tenant_id = (select crm.current_tenant()));
select crm.add_unit_policies('crm.segment_size', 'segment sizes');

grant select, insert, update, delete on crm.segment to crm_unit;
grant select, insert on crm.segment_size to crm_unit;
grant select on crm.segment, crm.segment_size to crm_reporter;
grant usage on sequence crm.segment_id_seq to crm_unit;
grant update (segment_id) on crm.campaign to crm_unit;
