//! The registry: every service the binary can run, in the order a node builds them (a service
//! after those it calls). The binary runs each service crate it depends on (`build.rs` reads
//! the manifest); each names its plugin (`platform::registry::Plugin`), which says everything
//! else: its settings, what it calls, its client and how to build it. Adding a service is its
//! crate and one dependency line in the binary's manifest.

use platform::registry::{Built, Context, Plugin, Process, ServiceClient, Shared};
use serde::{Deserialize, Serialize};

use platform::registry::FirstStart;

/// Makes `Service`, with one exhaustive match per question asked of the plugins, and
/// `ServiceSettings`, every service's section of the settings.
macro_rules! registry {
    ($($service:ident($section:ident) => $plugin:ty,)*) => {
        /// A service the binary can run.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
        pub enum Service {
            $($service,)*
        }

        impl Service {
            /// Every service, in the registry's order.
            pub const ALL: &'static [Service] = &[$(Service::$service,)*];

            /// The name on the command line, in settings, certificates and SPIFFE ids.
            pub fn name(self) -> &'static str {
                match self {
                    $(Service::$service => <$plugin as Plugin>::NAME,)*
                }
            }

            /// The services whose gRPC methods it calls.
            pub fn calls(self) -> &'static [&'static str] {
                match self {
                    $(Service::$service => <$plugin as Plugin>::CALLS,)*
                }
            }

            /// Its own client at identity, when it calls with its own authority.
            pub fn client(self) -> Option<ServiceClient> {
                match self {
                    $(Service::$service => <$plugin as Plugin>::CLIENT,)*
                }
            }

            /// Its gRPC methods that need no token.
            pub fn public_methods(self) -> &'static [&'static str] {
                match self {
                    $(Service::$service => <$plugin as Plugin>::PUBLIC_METHODS,)*
                }
            }

            /// Builds it with its section of `settings`.
            pub(crate) async fn build(
                self,
                settings: &ServiceSettings,
                shared: &Shared<'_>,
                first_start: &mut FirstStart,
                seed_progress: &mut (dyn FnMut(usize, usize) + Send),
            ) -> anyhow::Result<Built> {
                match self {
                    $(Service::$service => {
                        let mut context =
                            Context::new::<$plugin>(shared, first_start, seed_progress);
                        <$plugin as Plugin>::build(&settings.$section, &mut context).await
                    })*
                }
            }
        }

        /// Every service's section of the settings, named after the service.
        #[derive(Clone, Debug, Serialize, Deserialize)]
        #[serde(default)]
        pub struct ServiceSettings {
            $(pub $section: <$plugin as Plugin>::Config,)*
        }

        impl Default for ServiceSettings {
            fn default() -> ServiceSettings {
                ServiceSettings {
                    $($section: <$plugin as Plugin>::unresolved(),)*
                }
            }
        }

        impl ServiceSettings {
            /// Fills what each section left empty from the process's settings.
            pub fn resolve(&mut self, process: &Process) {
                $(<$plugin as Plugin>::resolve(&mut self.$section, process);)*
            }

            /// Each service's database URL, by the service's name, for those with a database.
            pub fn database_urls(&self) -> Vec<(&'static str, String)> {
                let mut urls = Vec::new();
                $(
                    let mut config = self.$section.clone();
                    if let Some(url) = <$plugin as Plugin>::database_url(&mut config) {
                        urls.push((<$plugin as Plugin>::NAME, url.clone()));
                    }
                )*
                urls
            }

            /// The section names, which are the services' names.
            pub const SECTIONS: &'static [&'static str] = &[$(stringify!($section),)*];
        }
    };
}

// `registry! { Identity(identity) => identity::Plugin, ... }`, one line for each service crate
// the binary depends on, in the manifest's order (build.rs).
include!(concat!(env!("OUT_DIR"), "/services.rs"));

/// The identity operators' tools present (`emporium certs` issues it), allowed everywhere.
pub const ADMIN_IDENTITY: &str = "admin";

impl Service {
    /// The service named `name`.
    pub fn from_name(name: &str) -> Option<Service> {
        Service::ALL
            .iter()
            .copied()
            .find(|service| service.name() == name)
    }

    /// Who calls this service's gRPC methods. With mTLS, these (and the operators' `admin`
    /// identity) are the default allow list.
    pub fn callers(self) -> impl Iterator<Item = Service> {
        Service::ALL
            .iter()
            .copied()
            .filter(move |caller| caller.calls().contains(&self.name()))
    }

    /// The clients at identity the shop's own parts use: each service's and the admin client.
    pub fn clients() -> Vec<ServiceClient> {
        Service::ALL
            .iter()
            .filter_map(|service| service.client())
            .chain([ServiceClient {
                id: identity::ADMIN_CLIENT_ID,
                scopes: proto::scopes::ADMIN,
            }])
            .collect()
    }

    /// The gRPC methods of every service that need no token.
    pub fn all_public_methods() -> Vec<&'static str> {
        Service::ALL
            .iter()
            .flat_map(|service| service.public_methods())
            .copied()
            .collect()
    }
}

/// The default allow list of a process that runs `services`.
pub fn default_allowed_clients(services: &[Service]) -> Vec<String> {
    let mut ids: Vec<String> = services
        .iter()
        .flat_map(|service| service.callers())
        .map(|caller| platform::tls::spiffe_id(caller.name()))
        // The operators' tools, and the gateway, which gathers the operations view from every
        // process.
        .chain([
            platform::tls::spiffe_id(ADMIN_IDENTITY),
            platform::tls::spiffe_id(Service::Gateway.name()),
        ])
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests;
