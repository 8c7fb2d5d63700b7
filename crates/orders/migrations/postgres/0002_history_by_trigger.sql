-- An order's history row is written by the statement that inserts or changes the order, so a
-- save costs one statement instead of two.
CREATE FUNCTION order_states_append() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO order_states (order_id, position, state, at)
    SELECT NEW.id, COUNT(*) + 1, NEW.state,
           CASE WHEN TG_OP = 'INSERT' THEN NEW.created_at ELSE NEW.updated_at END
    FROM order_states WHERE order_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER order_states_after_change AFTER INSERT OR UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION order_states_append();
