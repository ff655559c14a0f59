/**
 * What the Fraud Detection Handbook publishes, quoted, never re-run: its dataset's counts and its
 * baselines on the test week. Source: github.com/Fraud-Detection-Handbook/fraud-detection-handbook.
 */
const repository = 'Fraud-Detection-Handbook/fraud-detection-handbook'

/** The simulated dataset of Chapter 3 (`generate_dataset(5000, 10000, 183, "2018-04-01", r=5)` then `add_frauds`). */
export const publishedDataset = {
  source: `${repository}: Chapter_3_GettingStarted/SimulatedDataset.ipynb (outputs of generate_dataset and add_frauds)`,
  transactions: 1_754_155,
  frauds: 14_681,
  /** `transactions_df.TX_FRAUD.mean()` as printed: 14,681 / 1,754,155. */
  fraudRate: 0.008369271814634397,
} as const

/**
 * The protocol of Chapter 3 ("Baseline fraud detection system"): train on 7 days from 2018-07-25,
 * wait the 7-day delay period (labels are known a week after the transaction), test on the 7 days
 * from 2018-08-08; `get_train_test_set` drops from each test day the cards with a fraud known by
 * then (from the training start on), and `card_precision_top_k` drops the cards already caught
 * earlier in the test week (Chapter_References/shared_functions.py).
 */
export const publishedProtocol = {
  source: `${repository}: Chapter_3_GettingStarted/BaselineModeling.ipynb, Chapter_References/shared_functions.py (get_train_test_set, card_precision_top_k)`,
  trainingStart: '2018-07-25',
  trainingDays: 7,
  delayDays: 7,
  testStart: '2018-08-08',
  testDays: 7,
  topK: 100,
} as const

/**
 * Chapter 5 ("Model selection") validates on 4 prequential weeks before testing: training starts
 * 2018-07-25 − (delay + validation) = 2018-07-11 and steps back a week per fold, so the validation
 * weeks start 2018-07-25, 07-18, 07-11 and 07-04 (ModelSelection.ipynb, prequentialSplit). Rules
 * are tuned on those, never on the test week.
 */
export const publishedValidationWeeks = {
  source: `${repository}: Chapter_5_ModelValidationAndSelection/ModelSelection.ipynb (start_date_training_for_valid, n_folds = 4), Chapter_References/shared_functions.py (prequentialSplit)`,
  starts: ['2018-07-04', '2018-07-11', '2018-07-18', '2018-07-25'],
} as const

export interface PublishedBaseline {
  model: string
  aucRoc: number
  averagePrecision: number
  cardPrecisionAt100: number
}

/**
 * The five baselines on the test week (2018-08-08 to 08-14), trained on 2018-07-25 to 07-31 with
 * the handbook's 15 engineered features (customer spending windows, terminal risk windows lagged
 * by the delay), as the notebook prints them (`df_performances`, execution count 25).
 */
export const publishedBaselines = {
  source: `${repository}: Chapter_3_GettingStarted/BaselineModeling.ipynb at 62ad580595010c572d738fda59343e7e113d16fa ("performances on test set")`,
  models: [
    { model: 'Logistic regression', aucRoc: 0.871, averagePrecision: 0.606, cardPrecisionAt100: 0.291 },
    { model: 'Decision tree with depth of two', aucRoc: 0.763, averagePrecision: 0.496, cardPrecisionAt100: 0.241 },
    { model: 'Decision tree - unlimited depth', aucRoc: 0.788, averagePrecision: 0.309, cardPrecisionAt100: 0.243 },
    { model: 'Random forest', aucRoc: 0.867, averagePrecision: 0.658, cardPrecisionAt100: 0.287 },
    { model: 'XGBoost', aucRoc: 0.862, averagePrecision: 0.639, cardPrecisionAt100: 0.273 },
  ] satisfies PublishedBaseline[],
} as const
