-- The contact index with one b-tree (issue 15): its rows are deleted by value now (a changed,
-- merged or deleted customer's rows are the values of its old phones and emails, through the
-- primary key, which starts with the value), so the index on (tenant_id, customer_id) that the
-- deletes used goes: 200,000 contact rows of an import write one b-tree instead of two.
set local role crm_owner;

drop index crm.customer_contact_customer;
