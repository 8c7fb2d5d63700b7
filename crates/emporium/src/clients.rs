//! `emporium client add|list|remove`: clients from outside registered at identity, as the
//! registration endpoint (RFC 7591) registers them, working on identity's database directly.

use clap::Subcommand;

use crate::Settings;

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Registers a client and prints its registration as JSON (a confidential client's secret
    /// is shown this once).
    Add {
        /// What people see the client called.
        #[arg(long)]
        name: String,
        /// Where codes may go; exact URLs (https, or http on loopback). Repeat for several.
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// A public client (a browser or mobile app): no secret, PKCE only.
        #[arg(long)]
        public: bool,
        /// The grant types (authorization_code, refresh_token, client_credentials); repeat for
        /// several. Default: authorization_code and refresh_token.
        #[arg(long = "grant")]
        grants: Vec<String>,
        /// The scopes it may ask for, space-separated; default: a user's.
        #[arg(long)]
        scope: Option<String>,
    },
    /// Lists the clients registered from outside, as JSON.
    List,
    /// Removes a client registered from outside, with its tokens.
    Remove { client_id: String },
}

pub async fn run(mut settings: Settings, command: ClientCommand) -> anyhow::Result<()> {
    settings.resolve(&format!("http://{}", settings.http_addr));
    let identity = identity::Identity::build(settings.services.identity.clone()).await?;
    match command {
        ClientCommand::Add {
            name,
            redirect_uris,
            public,
            grants,
            scope,
        } => {
            let grant_types = match grants.is_empty() {
                true => vec!["authorization_code".to_owned(), "refresh_token".to_owned()],
                false => grants,
            };
            let metadata = identity::ClientMetadata {
                redirect_uris,
                token_endpoint_auth_method: public.then(|| "none".to_owned()),
                grant_types: Some(grant_types),
                response_types: None,
                client_name: Some(name),
                scope,
            };
            let registered = identity.register_client(metadata).await?;
            print_json(&identity::ClientInformation::from(registered))
        }
        ClientCommand::List => {
            let clients: Vec<identity::ClientInformation> = identity
                .registered_clients()
                .await?
                .into_iter()
                .map(identity::ClientInformation::from)
                .collect();
            print_json(&clients)
        }
        ClientCommand::Remove { client_id } => {
            anyhow::ensure!(
                identity.remove_client(&client_id).await?,
                "client_id: no client registered from outside is called `{client_id}`"
            );
            println!("removed {client_id}");
            Ok(())
        }
    }
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
