//! A browser without JavaScript, for the storefront's tests: reqwest with a cookie jar of its
//! own, following redirects one hop at a time so that a test can see each of them, and reading
//! forms out of the HTML it gets.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};

/// A page as the browser got it.
#[derive(Debug)]
pub struct Page {
    pub url: String,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub html: String,
}

impl Page {
    /// The value of the first hidden field called `name`.
    pub fn hidden(&self, name: &str) -> Option<String> {
        field(&self.html, name)
    }

    /// The CSRF token of the page's forms.
    pub fn csrf(&self) -> String {
        self.hidden("csrf")
            .expect("the page has a form with a CSRF token")
    }
}

/// A cookie jar and the hops of the last request.
pub struct Browser {
    http: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
    /// `Set-Cookie` headers as they came, newest last.
    pub set_cookies: Vec<String>,
    /// Every URL the last request went through.
    pub hops: Vec<String>,
}

impl Browser {
    pub fn new() -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
            set_cookies: Vec::new(),
            hops: Vec::new(),
        }
    }

    pub async fn get(&mut self, url: &str) -> Page {
        self.hops.clear();
        self.go(reqwest::Method::GET, url, None).await
    }

    /// Posts `fields` as a form, as a browser does when its button is pressed.
    pub async fn post(&mut self, url: &str, fields: &[(&str, &str)]) -> Page {
        self.hops.clear();
        let form = fields
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        self.go(reqwest::Method::POST, url, Some(form)).await
    }

    async fn go(
        &mut self,
        method: reqwest::Method,
        url: &str,
        body: Option<Vec<(String, String)>>,
    ) -> Page {
        let mut method = method;
        let mut url = url.to_owned();
        let mut body = body;
        loop {
            self.hops.push(url.clone());
            assert!(self.hops.len() < 12, "a redirect loop: {:?}", self.hops);
            let mut request = self.http.request(method.clone(), &url);
            if !self.cookies.is_empty() {
                request = request.header("cookie", self.cookie_header());
            }
            if let Some(form) = body.take() {
                request = request.form(&form);
            }
            let response = request.send().await.unwrap();
            self.keep_cookies(response.headers());
            let status = response.status();
            if status.is_redirection() {
                let location = response.headers()[LOCATION].to_str().unwrap();
                url = reqwest::Url::parse(&url)
                    .unwrap()
                    .join(location)
                    .unwrap()
                    .to_string();
                method = reqwest::Method::GET;
                continue;
            }
            let headers = response.headers().clone();
            let html = response.text().await.unwrap();
            return Page {
                url,
                status,
                headers,
                html,
            };
        }
    }

    /// The `Cookie` header the browser sends.
    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let value = value.to_str().unwrap().to_owned();
            let pair = value.split(';').next().unwrap();
            let (name, cookie) = pair.split_once('=').unwrap();
            if value.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), cookie.to_owned());
            }
            self.set_cookies.push(value);
        }
    }
}

/// The value of the input called `name` in `html`.
pub fn field(html: &str, name: &str) -> Option<String> {
    let start = html.find(&format!("name=\"{name}\""))?;
    let tag_start = html[..start].rfind('<')?;
    let tag_end = start + html[start..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let value_start = tag.find("value=\"")? + 7;
    let value_end = value_start + tag[value_start..].find('"')?;
    Some(unescape(&tag[value_start..value_end]))
}

/// The `action` of the first form in `html` with `method="post"`.
pub fn post_action(html: &str) -> String {
    let form = html
        .split("<form ")
        .skip(1)
        .find(|form| form.contains("method=\"post\""))
        .expect("the page has a form that posts");
    let start = form.find("action=\"").unwrap() + 8;
    let end = start + form[start..].find('"').unwrap();
    unescape(&form[start..end])
}

/// Every hidden field of the first form that posts, in order.
pub fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let form = html
        .split("<form ")
        .skip(1)
        .find(|form| form.contains("method=\"post\""))
        .unwrap();
    let form = &form[..form.find("</form>").unwrap()];
    form.split("<input ")
        .skip(1)
        .filter(|input| input.contains("type=\"hidden\""))
        .filter_map(|input| {
            let name = input.split("name=\"").nth(1)?.split('"').next()?.to_owned();
            let value = input.split("value=\"").nth(1)?.split('"').next()?;
            Some((name, unescape(value)))
        })
        .collect()
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
