//! `server user …`: staff accounts from the command line, and the demo accounts of `--demo`.

use std::io::BufRead;

use app::{
    domain::{NewStaff, Role},
    i18n::td_string,
    services::{Services, StaffError},
    texts::Say,
};

use crate::{
    StartError,
    config::{PartnerCommand, UserCommand},
};

/// `server backup PATH`: the whole database as it was at one moment, written while the server serves.
pub async fn backup(services: &Services, path: &std::path::Path) -> Result<(), StartError> {
    let l = services.settings.default_locale;
    let shown = path.display().to_string();
    if path.exists() {
        return Err(StartError::Config(td_string!(l, cli.backup_exists, path = &shown).to_string()));
    }
    services.store.back_up(path).await?;
    println!("{}", td_string!(l, cli.backed_up, path = &shown));
    Ok(())
}

/// `server user …`, answered in the server's `--default-locale`.
pub async fn user(services: &Services, command: UserCommand) -> Result<(), StartError> {
    let l = services.settings.default_locale;
    let failed = |e: StaffError| StartError::Config(e.say(l));
    match command {
        UserCommand::Add { login, name, role, phone, language } => {
            let role = Role::parse(&role)
                .ok_or_else(|| StartError::Config(td_string!(l, cli.unknown_role, role = &role).to_string()))?;
            let mut password = String::new();
            std::io::stdin().lock().read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']);
            let refused = |e: app::domain::StaffRefusal| StartError::Config(e.say(l));
            let mut new = NewStaff::new(&login, &name, role, password).map_err(refused)?;
            if let Some(phone) = phone {
                new = new.with_phone(&phone, services.settings.default_region).map_err(refused)?;
            }
            new.locale = language.map(|l| leptos_i18n::Locale::as_str(l).to_owned());
            services.add_staff(&new).await.map_err(failed)?;
            let phone = new.phone.as_deref().map(|p| td_string!(l, cli.texts_to, phone = p).to_string());
            let language = new.locale.as_deref().map(|tag| td_string!(l, cli.language, tag).to_string());
            let (login, name, role) = (&new.login, &new.name, app::texts::role(l, role));
            let (phone, language) = (phone.unwrap_or_default(), language.unwrap_or_default());
            println!("{}", td_string!(l, cli.added, login, name, role, phone, language));
        }
        UserCommand::Disable { login } => {
            services.set_staff_disabled(&login, true).await.map_err(failed)?;
            println!("{}", td_string!(l, cli.disabled, login));
        }
        UserCommand::Enable { login } => {
            services.set_staff_disabled(&login, false).await.map_err(failed)?;
            println!("{}", td_string!(l, cli.enabled, login));
        }
        UserCommand::List => {
            for s in services.store.list_staff().await? {
                let state = if s.disabled {
                    td_string!(l, cli.state_disabled)
                } else if s.on_duty_since.is_some() {
                    td_string!(l, cli.state_on_duty)
                } else {
                    ""
                };
                let language = s.locale.as_deref().unwrap_or("-");
                println!("{:<20} {:<11} {:<30} {language:<3} {state}", s.login, s.role.as_str(), s.name);
            }
        }
    }
    Ok(())
}

/// `server partner …`, answered in the server's `--default-locale`.
pub async fn partner(services: &Services, command: PartnerCommand, default_limit: u32) -> Result<(), StartError> {
    let l = services.settings.default_locale;
    let failed = |e: app::services::PartnerError| StartError::Config(e.say(l));
    match command {
        PartnerCommand::Add { name, limit } => {
            let key = services.add_partner(&name, limit).await.map_err(failed)?;
            println!("{}", td_string!(l, cli.partner_added, name = name.trim()));
            println!("{}", key.0);
        }
        PartnerCommand::List => {
            for p in services.store.list_partners().await? {
                let limit = p.per_minute.unwrap_or(default_limit);
                let state = if p.revoked { td_string!(l, cli.state_revoked) } else { "" };
                println!("{:<30} {limit:>6}/min {state}", p.name);
            }
        }
        PartnerCommand::Revoke { name } => {
            services.revoke_partner(&name).await.map_err(failed)?;
            println!("{}", td_string!(l, cli.partner_revoked, name));
        }
    }
    Ok(())
}

/// A demo account as `--demo` left it, to print.
pub struct DemoAccount {
    pub role: Role,
    pub login: String,
    /// Its fresh password; `None` when an admin disabled it, and it was left alone.
    pub password: Option<String>,
}

/// The demo technician and dispatcher, with fresh passwords. A demo account someone disabled stays disabled with
/// its password unchanged: an admin's decision outlives a restart, `--demo` or not.
pub async fn seed_demo(services: &Services) -> Result<Vec<DemoAccount>, StartError> {
    let failed = |e: StaffError| StartError::Config(e.to_string());
    let mut seeded = Vec::new();
    for (login, name, role) in [("tech", "Sam Rivera", Role::Technician), ("dispatch", "Dana Okafor", Role::Dispatcher)]
    {
        let password = readable_password();
        let new = NewStaff::new(login, name, role, &password)
            .map_err(|e| StartError::Config(e.say(services.settings.default_locale)))?;
        let password = match services.add_staff(&new).await {
            Ok(_) => Some(password),
            Err(StaffError::LoginTaken(_))
                if services.store.staff_by_login(login).await?.is_some_and(|s| s.disabled) =>
            {
                None
            }
            Err(StaffError::LoginTaken(_)) => {
                services.set_password(login, &password).await.map_err(failed)?;
                Some(password)
            }
            Err(e) => return Err(failed(e)),
        };
        seeded.push(DemoAccount { role, login: login.to_owned(), password });
    }
    Ok(seeded)
}

/// Easy to type on a phone: lowercase letters without look-alikes, in groups.
fn readable_password() -> String {
    const LETTERS: &[u8] = b"abcdefghjkmnpqrstuvwxyz";
    let mut rng = rand::rng();
    (0..3)
        .map(|_| {
            (0..4).map(|_| char::from(LETTERS[rand::Rng::random_range(&mut rng, 0..LETTERS.len())])).collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}
