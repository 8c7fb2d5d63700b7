//! An event as it arrives from the bus: any bytes are an envelope or a clear error, and an
//! envelope's data decodes as each event type or says why not; nothing panics.
#![no_main]

use events::Envelope;
use events::checkout::{
    OrderCompleted, OrderPlaced, PaymentChanged, ShipmentChanged, StockCommitted, StockReleased,
    StockReserved,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(envelope) = serde_json::from_slice::<Envelope>(data) else {
        return;
    };
    let _ = envelope.decode::<StockReserved>();
    let _ = envelope.decode::<StockReleased>();
    let _ = envelope.decode::<StockCommitted>();
    let _ = envelope.decode::<PaymentChanged>();
    let _ = envelope.decode::<ShipmentChanged>();
    let _ = envelope.decode::<OrderPlaced>();
    let _ = envelope.decode::<OrderCompleted>();
    // What was read is written back as it came.
    let written = serde_json::to_vec(&envelope).expect("an envelope read is written");
    let again: Envelope = serde_json::from_slice(&written).expect("what was written reads");
    assert_eq!(again, envelope);
});
