//! The registry's own rules: names agree everywhere, and a service comes after what it calls.

use clap::ValueEnum as _;

use super::*;

#[test]
fn every_service_has_one_name_on_the_command_line_in_settings_and_in_its_plugin() {
    for (service, section) in Service::ALL.iter().zip(ServiceSettings::SECTIONS) {
        let value = service
            .to_possible_value()
            .expect("every service is a value");
        assert_eq!(value.get_name(), service.name());
        assert_eq!(*section, service.name());
        assert_eq!(Service::from_name(service.name()), Some(*service));
    }
}

#[test]
fn a_service_comes_after_every_service_it_calls() {
    for (position, service) in Service::ALL.iter().enumerate() {
        for callee in service.calls() {
            let callee_position = Service::ALL
                .iter()
                .position(|other| other.name() == *callee)
                .unwrap_or_else(|| {
                    panic!(
                        "{} calls `{callee}`, which is not registered",
                        service.name()
                    )
                });
            assert!(
                callee_position < position,
                "{} calls {callee}, which the registry lists after it",
                service.name()
            );
        }
    }
}

#[test]
fn every_client_id_belongs_to_one_part_of_the_shop() {
    let clients = Service::clients();
    let mut ids: Vec<&str> = clients.iter().map(|client| client.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), clients.len(), "{clients:?}");
}

#[test]
fn the_callers_of_inventory_are_search_the_cart_session_the_orders_saga_and_the_gateway() {
    let callers: Vec<Service> = Service::Inventory.callers().collect();
    assert_eq!(
        callers,
        [
            Service::Catalog,
            Service::Cart,
            Service::Orders,
            Service::Gateway
        ]
    );
}
