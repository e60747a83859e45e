// Part of iap_credits. See LICENSE file for full copyright and licensing details.
/**
 * The texts a tour expects, in the language of the user who runs it.
 *
 * The Python test reads them from the addon's translation file (i18n/<lang>.po, the
 * stock modules' for their own terms) and stores them in the browser's localStorage
 * before it starts the tour (tests/common_tours.py). One tour definition then serves
 * every language, and its steps fail when a page speaks another language than the
 * user's. localStorage outlives the page loads of a tour, like the tour's own state.
 */
export const TOUR_TEXTS_KEY = "iap_credits.tour_texts";

export function tourTexts() {
    const texts = JSON.parse(window.localStorage.getItem(TOUR_TEXTS_KEY) || "null");
    if (!texts) {
        throw new Error(
            `${TOUR_TEXTS_KEY} is not set: start this tour from Python with start_journey_tour`
        );
    }
    return texts;
}

/**
 * A selector suffix that matches an element whose text contains every given text.
 *
 * @param {...string} texts
 * @returns {string} e.g. `:contains("Buy credits"):contains("1.00 Credits")`
 */
export function containing(...texts) {
    return texts.map((text) => `:contains("${text}")`).join("");
}
