//! The truck checklists a new service starts with, in its language. English is what migration 0002 wrote; a
//! service whose `--default-locale` is another language gets that language's lines in their place, as long as
//! nobody has edited them (`Store::translate_untouched_checklists`).

use crate::{
    Locale,
    domain::{ChecklistTemplate, TemplateLine},
};

/// (list, question?, label), in order within each list.
type Line = (&'static str, bool, &'static str);

const EN: &[Line] = &[
    ("always", false, "Hi-vis vest"),
    ("always", false, "Cones / warning triangles"),
    ("always", false, "Amber beacon"),
    ("always", false, "Headlamp"),
    ("always", false, "Fire extinguisher"),
    ("always", false, "First-aid kit"),
    ("always", false, "Gloves"),
    ("always", false, "Wheel chocks"),
    ("flat_tire", true, "Is there a spare wheel, and is it inflated?"),
    ("flat_tire", true, "Where is the wheel-lock key?"),
    ("flat_tire", false, "Compressor and pressure gauge (spares are often low)"),
    ("flat_tire", false, "Low-profile jack"),
    ("flat_tire", false, "Jack stand and a board for soft ground"),
    ("flat_tire", false, "Lug wrench / breaker bar and sockets"),
    ("flat_tire", false, "Wheel-lock key adapter set"),
    ("flat_tire", false, "Torque wrench"),
    ("flat_tire", false, "Tyre plug kit (tread punctures only)"),
    ("battery", true, "Do the dashboard lights come on when you turn the key?"),
    ("battery", false, "Jump pack with reverse-polarity protection"),
    ("battery", false, "Heavy-gauge jumper cables"),
    ("battery", false, "Battery tester"),
    ("battery", false, "Terminal brush"),
    ("lockout", true, "Is a child or a pet inside? If yes: emergency, top priority"),
    ("lockout", true, "Where are the keys (inside, lost, broken)?"),
    ("lockout", false, "Lockout kit"),
    ("lockout", false, "Air wedge"),
    ("fuel", true, "Petrol or diesel?"),
    ("fuel", false, "Fuel can: petrol"),
    ("fuel", false, "Separate fuel can: diesel"),
    ("fuel", false, "Funnel"),
    ("tow", true, "Where should the vehicle go?"),
    ("tow", false, "Hand off to a tow partner: note vehicle and destination"),
    ("other", true, "What exactly happened, and is anyone hurt?"),
];

const RU: &[Line] = &[
    ("always", false, "Светоотражающий жилет"),
    ("always", false, "Конусы / знаки аварийной остановки"),
    ("always", false, "Жёлтый проблесковый маячок"),
    ("always", false, "Налобный фонарь"),
    ("always", false, "Огнетушитель"),
    ("always", false, "Аптечка"),
    ("always", false, "Перчатки"),
    ("always", false, "Противооткатные упоры"),
    ("flat_tire", true, "Есть ли запасное колесо и накачано ли оно?"),
    ("flat_tire", true, "Где ключ от секреток на колёсах?"),
    ("flat_tire", false, "Компрессор и манометр (запаска часто спущена)"),
    ("flat_tire", false, "Низкопрофильный домкрат"),
    ("flat_tire", false, "Подставка под домкрат и доска для мягкого грунта"),
    ("flat_tire", false, "Баллонный ключ / вороток и головки"),
    ("flat_tire", false, "Набор ключей-переходников для секреток"),
    ("flat_tire", false, "Динамометрический ключ"),
    ("flat_tire", false, "Жгуты для ремонта шин (только проколы протектора)"),
    ("battery", true, "Загораются ли лампы на приборной панели, когда поворачиваете ключ?"),
    ("battery", false, "Пусковое устройство с защитой от переполюсовки"),
    ("battery", false, "Толстые провода для прикуривания"),
    ("battery", false, "Тестер аккумулятора"),
    ("battery", false, "Щётка для клемм"),
    ("lockout", true, "Внутри ребёнок или животное? Если да — экстренный случай, в первую очередь"),
    ("lockout", true, "Где ключи (внутри, потеряны, сломаны)?"),
    ("lockout", false, "Набор для вскрытия автомобиля"),
    ("lockout", false, "Пневмоклин"),
    ("fuel", true, "Бензин или дизель?"),
    ("fuel", false, "Канистра: бензин"),
    ("fuel", false, "Отдельная канистра: дизель"),
    ("fuel", false, "Воронка"),
    ("tow", true, "Куда доставить автомобиль?"),
    ("tow", false, "Передать партнёру-эвакуатору: записать автомобиль и адрес"),
    ("other", true, "Что именно случилось и есть ли пострадавшие?"),
];

/// The lists a new service starts with, in `locale`, in the order `ChecklistTemplate::keys` gives.
pub fn checklists(locale: Locale) -> Vec<ChecklistTemplate> {
    let lines = match locale {
        Locale::en => EN,
        Locale::ru => RU,
    };
    ChecklistTemplate::keys()
        .map(|problem| ChecklistTemplate {
            problem: problem.to_owned(),
            lines: lines
                .iter()
                .filter(|(list, _, _)| *list == problem)
                .map(|(_, question, label)| TemplateLine { question: *question, label: (*label).to_owned() })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_the_same_lists_questions_and_items_in_the_same_places() {
        let shape = |l: Locale| {
            checklists(l)
                .into_iter()
                .map(|t| (t.problem, t.lines.iter().map(|l| l.question).collect::<Vec<_>>()))
                .collect::<Vec<_>>()
        };
        assert_eq!(shape(Locale::ru), shape(Locale::en));
        assert_eq!(checklists(Locale::en).iter().map(|t| t.lines.len()).sum::<usize>(), EN.len(), "every line listed");
    }
}
