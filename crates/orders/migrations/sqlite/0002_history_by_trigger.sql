-- An order's history row is written by the statement that inserts or changes the order, so a
-- save costs one statement instead of two.
CREATE TRIGGER order_states_after_insert AFTER INSERT ON orders
BEGIN
    INSERT INTO order_states (order_id, position, state, at)
    SELECT NEW.id, COUNT(*) + 1, NEW.state, NEW.created_at FROM order_states WHERE order_id = NEW.id;
END;

CREATE TRIGGER order_states_after_update AFTER UPDATE ON orders
BEGIN
    INSERT INTO order_states (order_id, position, state, at)
    SELECT NEW.id, COUNT(*) + 1, NEW.state, NEW.updated_at FROM order_states WHERE order_id = NEW.id;
END;
