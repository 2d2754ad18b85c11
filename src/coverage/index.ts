export { CoverageTableMissingError, MARK_COLUMNS, parseSpecFileName, planCoverage, specsReferencedIn, titleFromSlug, type CoverageChange, type MarkColumn, type SpecFile } from './table';
export { CoverageNotFoundError, coverageRecordsFile, readPassedSpecs, recordPassedSpecs, updateCoverage, type UpdateCoverageOptions, type UpdateCoverageResult } from './update';
